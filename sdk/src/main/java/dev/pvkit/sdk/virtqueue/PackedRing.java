package dev.pvkit.sdk.virtqueue;

/**
 * Byte offsets and constants of a packed virtqueue (PVKit spec §7; layouts {@code packed_desc} and
 * {@code packed_event_suppress}). Shared by the device queue, the driver model and tests so all agree.
 *
 * @param size        queue size Q (1..32768)
 * @param descriptors descriptor ring (Descriptor Area)
 * @param driverEvent driver event suppression structure (Driver Area): written by the driver
 * @param deviceEvent device event suppression structure (Device Area): written by the device
 */
public record PackedRing(int size, long descriptors, long driverEvent, long deviceEvent) {

    public static final int DESC_SIZE = 16;
    public static final int F_NEXT = 1;
    public static final int F_WRITE = 2;
    public static final int F_INDIRECT = 4;
    public static final int F_AVAIL = 1 << 7;
    public static final int F_USED = 1 << 15;
    public static final int EVENT_ENABLE = 0;
    public static final int EVENT_DISABLE = 1;
    public static final int EVENT_DESC = 2;
    public static final int DESC_ALIGN = 16;
    public static final int EVENT_ALIGN = 4;
    public static final int EVENT_BYTES = 4;

    public static long ringBytes(int q) {
        return (long) DESC_SIZE * q;
    }

    public long desc(int slot) {
        return descriptors + (long) DESC_SIZE * slot;
    }

    public long descLen(int slot) {
        return desc(slot) + 8;
    }

    public long descId(int slot) {
        return desc(slot) + 12;
    }

    public long descFlags(int slot) {
        return desc(slot) + 14;
    }

    /** AVAIL and USED bits of a descriptor marked available in the lap whose wrap value is {@code wrap}. */
    public static int availBits(boolean wrap) {
        return wrap ? F_AVAIL : F_USED;
    }

    /** AVAIL and USED bits of a descriptor marked used in the lap whose wrap value is {@code wrap}. */
    public static int usedBits(boolean wrap) {
        return wrap ? F_AVAIL | F_USED : 0;
    }

    public static boolean isAvailable(int flags, boolean wrap) {
        return ((flags & F_AVAIL) != 0) == wrap && ((flags & F_USED) != 0) != wrap;
    }

    public static boolean isUsed(int flags, boolean wrap) {
        return ((flags & F_AVAIL) != 0) == wrap && ((flags & F_USED) != 0) == wrap;
    }

    /** A position and its lap in the 16-bit {@code off_wrap} form (offset bits 0–14, wrap bit 15). */
    public static int offWrap(int position, boolean wrap) {
        return position | (wrap ? 0x8000 : 0);
    }

    /** An event suppression structure as one 32-bit little-endian word, so mode and event point change together. */
    public static int event(int mode, int offWrap) {
        return (mode << 16) | (offWrap & 0xffff);
    }

    /**
     * The DESC-mode rule with wrap handling: the writer has just moved {@code written} slots and now stands at
     * {@code newPos} in lap {@code newWrap}; notify when the event slot named by {@code offWrap} is among them. An
     * event point whose wrap differs from the writer's lies in the previous lap, hence the shift by Q.
     */
    public static boolean needEvent(int offWrap, int q, int newPos, boolean newWrap, int written) {
        if (written <= 0) return false;
        if (written >= q) return true; // a whole lap went by: every slot was passed
        int event = offWrap & 0x7fff;
        if (((offWrap & 0x8000) != 0) != newWrap) event -= q;
        int old = newPos - written;
        return SplitRing.needEvent(event & 0xffff, newPos & 0xffff, old & 0xffff);
    }
}
