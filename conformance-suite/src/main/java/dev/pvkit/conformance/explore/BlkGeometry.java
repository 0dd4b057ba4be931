package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockLimits;

import java.util.List;
import java.util.SplittableRandom;

/**
 * The values a virtio-blk device puts in its configuration space for the driver to obey or use, each one the device
 * may choose: the logical block size, the topology hints, and the DISCARD and WRITE_ZEROES limits. QEMU reads them
 * from the back-end when it creates the device, so they are fixed for a boot: a boot of the generated-behaviour phase
 * draws its own ({@link #draw}), and a driver that splits a discard wrongly, or ignores a segment limit, meets a
 * device whose limits make it show.
 *
 * @param blkSize                logical block size, bytes (512 or 4096)
 * @param physicalBlockExp       log2 of logical blocks per physical block
 * @param alignmentOffset        the first aligned logical block
 * @param minIoSize              the smallest I/O the device likes, in logical blocks
 * @param optIoSize              the I/O size it likes best, in logical blocks (0: no hint)
 * @param maxDiscardSectors      the largest DISCARD segment, 512-byte sectors
 * @param maxDiscardSeg          segments per DISCARD request
 * @param discardSectorAlignment DISCARD granularity, sectors
 * @param maxWriteZeroesSectors  the largest WRITE_ZEROES segment, sectors
 * @param maxWriteZeroesSeg      segments per WRITE_ZEROES request
 * @param writeZeroesMayUnmap    whether WRITE_ZEROES may deallocate (the UNMAP flag is honoured)
 */
public record BlkGeometry(int blkSize, int physicalBlockExp, int alignmentOffset, int minIoSize, int optIoSize,
                          int maxDiscardSectors, int maxDiscardSeg, int discardSectorAlignment,
                          int maxWriteZeroesSectors, int maxWriteZeroesSeg, boolean writeZeroesMayUnmap) {

    public BlkGeometry {
        // What BlkOptions and BlockLimits accept, said here so that a bad replay word fails where it is read.
        new BlkOptions.Topology(physicalBlockExp, alignmentOffset, minIoSize, optIoSize);
        new BlockLimits(true, maxDiscardSectors, maxDiscardSeg, discardSectorAlignment, true, maxWriteZeroesSectors,
                maxWriteZeroesSeg, writeZeroesMayUnmap);
        if (blkSize != 512 && blkSize != 4096) throw new IllegalArgumentException("blk_size " + blkSize + " is neither 512 nor 4096");
    }

    /** The reference back-end's own values ({@link BlkOptions#defaults}). */
    public static BlkGeometry plain() {
        BlkOptions d = BlkOptions.defaults(0);
        BlockLimits l = d.limits();
        BlkOptions.Topology t = d.topology();
        return new BlkGeometry(d.blkSize(), t.physicalBlockExp(), t.alignmentOffset(), t.minIoSize(), t.optIoSize(),
                l.maxDiscardSectors(), l.maxDiscardSeg(), l.discardSectorAlignment(), l.maxWriteZeroesSectors(),
                l.maxWriteZeroesSeg(), l.writeZeroesMayUnmap());
    }

    /**
     * Values drawn from {@code seed}: each a legal choice, small limits as often as large ones (a small limit makes
     * the driver split, where its bugs are). With 4 KiB logical blocks the discard granularity is a whole block.
     */
    public static BlkGeometry draw(long seed) {
        SplittableRandom r = new SplittableRandom(seed); // well mixed for neighbouring seeds, as the boots of one run use
        int blk = pick(r, List.of(512, 4096));
        int perBlock = blk / 512;
        int alignment = perBlock * pick(r, List.of(1, 8));
        return new BlkGeometry(blk, pick(r, List.of(0, 1, 3)), pick(r, List.of(0, 0, 1)), pick(r, List.of(1, 8)),
                pick(r, List.of(0, 256)),
                alignment * pick(r, List.of(1, 4, 64)), pick(r, List.of(1, 3, 32)), alignment,
                perBlock * pick(r, List.of(1, 16, 2048)), pick(r, List.of(1, 32)), r.nextBoolean());
    }

    private static <T> T pick(SplittableRandom r, List<T> values) {
        return values.get(r.nextInt(values.size()));
    }

    /** {@code o} with these values (discard and write zeroes stay offered as {@code o} offers them). */
    public BlkOptions applyTo(BlkOptions o) {
        BlockLimits l = o.limits();
        return o.withBlkSize(blkSize)
                .withTopology(new BlkOptions.Topology(physicalBlockExp, alignmentOffset, minIoSize, optIoSize))
                .withLimits(new BlockLimits(l.discard(), maxDiscardSectors, maxDiscardSeg, discardSectorAlignment,
                        l.writeZeroes(), maxWriteZeroesSectors, maxWriteZeroesSeg, writeZeroesMayUnmap));
    }

    /** The values as a person reads them, in the configuration space's terms. */
    public String describe() {
        return "blk_size " + blkSize + ", " + topology() + "; discard " + discardLimit() + "; write zeroes " + writeZeroesLimit();
    }

    String topology() {
        return "physical_block_exp " + physicalBlockExp + ", alignment_offset " + alignmentOffset + ", min_io_size "
                + minIoSize + ", opt_io_size " + optIoSize;
    }

    String discardLimit() {
        return "up to " + maxDiscardSeg + " x " + maxDiscardSectors + " sectors, alignment " + discardSectorAlignment;
    }

    String writeZeroesLimit() {
        return "up to " + maxWriteZeroesSeg + " x " + maxWriteZeroesSectors + " sectors" + (writeZeroesMayUnmap ? ", may unmap" : "");
    }
}
