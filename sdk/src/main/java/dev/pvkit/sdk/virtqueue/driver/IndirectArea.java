package dev.pvkit.sdk.virtqueue.driver;

/**
 * Guest memory a driver model keeps for indirect tables: one fixed slot per possible chain id, each large enough
 * for {@code entriesPerTable} descriptors. Chain ids are below the queue size, so slot {@code id} is free
 * whenever id {@code id} is.
 *
 * @param address         guest-physical start, 16-byte aligned
 * @param entriesPerTable descriptors per table
 */
public record IndirectArea(long address, int entriesPerTable) {

    public IndirectArea {
        if ((address & 15) != 0) throw new IllegalArgumentException("indirect area must be 16-byte aligned");
        if (entriesPerTable < 1) throw new IllegalArgumentException("entriesPerTable must be positive");
    }

    /** Bytes an area needs for a queue of {@code queueSize}. */
    public static long bytes(int queueSize, int entriesPerTable) {
        return (long) queueSize * entriesPerTable * 16;
    }

    public long table(int id) {
        return address + (long) id * entriesPerTable * 16;
    }

    /** No indirect tables: posting with {@code indirect} fails. */
    public static final IndirectArea NONE = new IndirectArea(0, 1);
}
