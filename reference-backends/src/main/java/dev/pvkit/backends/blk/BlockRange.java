package dev.pvkit.backends.blk;

/**
 * One range of a discard or write-zeroes request: first sector, length in 512-byte sectors (an unsigned 32-bit
 * count in virtio), and flags, of which only {@link #UNMAP} has a meaning.
 */
public record BlockRange(long sector, long sectors, int flags) {
    /** Write zeroes may deallocate the range (invalid in a discard). */
    public static final int UNMAP = 1;

    public boolean unmap() {
        return (flags & UNMAP) != 0;
    }

    public int reservedFlags() {
        return flags & ~UNMAP;
    }
}
