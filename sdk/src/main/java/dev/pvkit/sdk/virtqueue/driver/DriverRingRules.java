package dev.pvkit.sdk.virtqueue.driver;

/**
 * The ring rules as the driver models apply them, written from the virtio formulas separately from the device
 * queues' own ({@code SplitRing}, {@code PackedRing}), so that a mistake on one side shows up as a disagreement
 * in the round-trip and notification tests instead of being mirrored by the other. Layout offsets stay shared;
 * SpecAgreementTest checks the constants of both sides against the machine-readable spec.
 */
public final class DriverRingRules {

    /** Packed descriptor flag AVAIL, bit 7 (virtio 1.x §2.8.1). */
    public static final int PACKED_AVAIL = 1 << 7;
    /** Packed descriptor flag USED, bit 15. */
    public static final int PACKED_USED = 1 << 15;

    private DriverRingRules() {
    }

    /**
     * Split EVENT_IDX (virtio §2.7.7/§2.7.10): notify when the other side's event index is one of the entries
     * {@code oldIdx, …, newIdx - 1} just published, counted modulo 2^16 from {@code oldIdx}.
     */
    public static boolean splitNotify(int event, int newIdx, int oldIdx) {
        return ((event - oldIdx) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
    }

    /** AVAIL and USED of a descriptor made available with wrap counter {@code wrap}: AVAIL = wrap, USED = !wrap. */
    public static int packedAvailFlags(boolean wrap) {
        return (wrap ? PACKED_AVAIL : 0) | (wrap ? 0 : PACKED_USED);
    }

    /** AVAIL and USED of a descriptor used in the lap with wrap value {@code wrap}: both equal to it. */
    public static int packedUsedFlags(boolean wrap) {
        return wrap ? PACKED_AVAIL | PACKED_USED : 0;
    }

    /** A descriptor is used in the lap with wrap value {@code wrap} when its AVAIL and USED bits both equal it. */
    public static boolean packedIsUsed(int flags, boolean wrap) {
        boolean avail = (flags & PACKED_AVAIL) != 0;
        boolean used = (flags & PACKED_USED) != 0;
        return avail == wrap && used == wrap;
    }

    /**
     * Packed DESC mode (virtio §2.8.10, §2.8.21.3): the writer just filled {@code written} slots and stands at
     * {@code newPos} of the lap with wrap value {@code newWrap}; notify when the event slot is one of those slots.
     * Counted in slots from the start of the current lap: an event whose wrap bit differs from the writer's lies
     * in the previous lap, q slots earlier. After a whole lap or more the one-bit wrap cannot say which lap an
     * event belongs to, and notifying is the answer that never loses one.
     */
    public static boolean packedNotify(int eventOffWrap, int q, int newPos, boolean newWrap, int written) {
        if (written <= 0) return false;
        if (written >= q) return true;
        int offset = eventOffWrap & 0x7fff;
        boolean eventWrap = (eventOffWrap & 0x8000) != 0;
        int eventSlot = eventWrap == newWrap ? offset : offset - q;
        return eventSlot >= newPos - written && eventSlot < newPos;
    }
}
