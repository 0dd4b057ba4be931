package dev.pvkit.sdk.virtqueue;

/**
 * Byte offsets of a split virtqueue (PVKit spec §6; layouts {@code split_desc}, {@code split_avail},
 * {@code split_used}). Shared by the device queue, the driver model and the raw ring writer so all three agree.
 */
public record SplitRing(int size, long descriptors, long avail, long used) {

    public static final int DESC_SIZE = 16;
    public static final int F_NEXT = 1;
    public static final int F_WRITE = 2;
    public static final int F_INDIRECT = 4;
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    public static final int USED_F_NO_NOTIFY = 1;
    public static final int DESC_ALIGN = 16;
    public static final int AVAIL_ALIGN = 2;
    public static final int USED_ALIGN = 4;

    public static long descTableBytes(int q) {
        return (long) DESC_SIZE * q;
    }

    public static long availBytes(int q) {
        return 6L + 2L * q;
    }

    public static long usedBytes(int q) {
        return 6L + 8L * q;
    }

    public long desc(int i) {
        return descriptors + (long) DESC_SIZE * i;
    }

    public long availFlags() {
        return avail;
    }

    public long availIdx() {
        return avail + 2;
    }

    public long availRing(int slot) {
        return avail + 4 + 2L * slot;
    }

    /** {@code used_event}, written by the driver (EVENT_IDX). */
    public long usedEvent() {
        return avail + 4 + 2L * size;
    }

    public long usedFlags() {
        return used;
    }

    public long usedIdx() {
        return used + 2;
    }

    public long usedRing(int slot) {
        return used + 4 + 8L * slot;
    }

    /** {@code avail_event}, written by the device (EVENT_IDX). */
    public long availEvent() {
        return used + 4 + 8L * size;
    }

    /**
     * The EVENT_IDX rule, wrap-safe in 16 bits: notify when {@code event} lies in the window of indices the
     * other side just moved past, i.e. {@code (u16)(newIdx - event - 1) < (u16)(newIdx - oldIdx)}.
     */
    public static boolean needEvent(int event, int newIdx, int oldIdx) {
        return ((newIdx - event - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
    }
}
