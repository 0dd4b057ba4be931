package dev.pvkit.sdk.xen;

/**
 * Where things are in a shared ring (spec §9.1): a 64-byte header, then a power-of-two number of equal slots, each
 * the size of the larger of the protocol's request and response.
 */
public final class RingGeometry {
    public static final int REQ_PROD = 0;
    public static final int REQ_EVENT = 4;
    public static final int RSP_PROD = 8;
    public static final int RSP_EVENT = 12;
    public static final int HEADER = 64;

    private RingGeometry() {
    }

    /** The number of entries: the largest power of two of slots that fit after the header [DEV-XRING-002]. */
    public static int entries(int bytes, int slotSize) {
        int fit = (bytes - HEADER) / slotSize;
        if (fit < 1) throw new IllegalArgumentException("no " + slotSize + "-byte slot fits in " + bytes + " bytes");
        return Integer.highestOneBit(fit);
    }

    /** The byte offset of index {@code index}'s slot: {@code 64 + (index & (entries − 1)) × slotSize}. */
    public static int slotOffset(int index, int entries, int slotSize) {
        return HEADER + (index & (entries - 1)) * slotSize;
    }

    /**
     * The notify rule of a push from {@code old} to {@code now} with the peer's event index {@code event}: notify
     * when the event index lies in (old, now], i.e. {@code (now − event) < (now − old)} unsigned [DEV-XRING-007].
     */
    public static boolean mustNotify(int old, int now, int event) {
        return Integer.compareUnsigned(now - event, now - old) < 0;
    }
}
