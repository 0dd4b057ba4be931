package dev.pvkit.backends.blk;

/**
 * Which range requests the engine serves and their limits (the DISCARD and WRITE_ZEROES fields of virtio-blk's
 * configuration space). Sector counts are in 512-byte sectors.
 */
public record BlockLimits(boolean discard, int maxDiscardSectors, int maxDiscardSeg, int discardSectorAlignment,
                          boolean writeZeroes, int maxWriteZeroesSectors, int maxWriteZeroesSeg,
                          boolean writeZeroesMayUnmap) {

    public BlockLimits {
        if (discard && (maxDiscardSectors < 1 || maxDiscardSeg < 1 || discardSectorAlignment < 1)) {
            throw new IllegalArgumentException("discard limits must be positive");
        }
        if (writeZeroes && (maxWriteZeroesSectors < 1 || maxWriteZeroesSeg < 1)) {
            throw new IllegalArgumentException("write-zeroes limits must be positive");
        }
    }

    /** Both requests, up to 32 ranges of up to 4194303 sectors (just under 2 GiB, QEMU's limit) each. */
    public static BlockLimits defaults() {
        return new BlockLimits(true, 0x3fffff, 32, 1, true, 0x3fffff, 32, false);
    }

    /** Neither discard nor write zeroes. */
    public static BlockLimits none() {
        return new BlockLimits(false, 0, 0, 0, false, 0, 0, false);
    }
}
