package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.blk.VirtioBlk;
import dev.pvkit.conformance.check.BlkCapacityCheck;
import dev.pvkit.conformance.check.BlkDataSizeCheck;
import dev.pvkit.conformance.check.BlkDiscardUnmapCheck;
import dev.pvkit.conformance.check.BlkFlushCheck;
import dev.pvkit.conformance.check.BlkReadOnlyAcceptCheck;
import dev.pvkit.conformance.check.BlkSegmentCountCheck;
import dev.pvkit.conformance.selftest.BlkRig.Req;

import java.util.List;

import static dev.pvkit.conformance.selftest.BlkRig.MAX_SEG;
import static dev.pvkit.conformance.selftest.BlkRig.SECTORS;
import static dev.pvkit.conformance.selftest.BlkRig.run;
import static dev.pvkit.conformance.selftest.WrongDriver.breaking;
import static dev.pvkit.conformance.selftest.WrongDriver.correct;

/**
 * Wrong (and correct) drivers for the blk checks: each a real virtio-blk device over a real vhost-user socket,
 * driven with valid rings; a wrong one sends one request that breaks its rule amid correct ones.
 */
final class BlkWrongDrivers {
    private BlkWrongDrivers() {
    }

    /** Correct requests of every kind a driver sends (2 segments where segments go). */
    private static final Req[] GOOD = {
            Req.getId(20), Req.write(0, 4096), Req.read(0, 4096), Req.read(SECTORS - 8, 4096), Req.write(SECTORS - 1, 512),
            Req.flush(), Req.ranges(VirtioBlk.T_DISCARD, 2, 0), Req.ranges(VirtioBlk.T_WRITE_ZEROES, 2, 0),
            Req.ranges(VirtioBlk.T_WRITE_ZEROES, 1, 1)};

    private static Req[] around(Req wrong) {
        return new Req[]{Req.getId(20), Req.write(0, 512), wrong, Req.read(0, 512), Req.flush()};
    }

    static List<WrongDriver> all() {
        return List.of(
                correct("blk: reads, writes, flush, GET_ID, discard and write zeroes, all in bounds", () -> run(GOOD)),
                correct("blk: every segment limit used to the full, last sector read and written, write to a read-only disk answered IOERR",
                        () -> run(true, BlkRig.features(true), Req.getId(20), Req.read(SECTORS - 1, 512),
                                Req.write(8, 1024), Req.flush(), Req.ranges(VirtioBlk.T_DISCARD, MAX_SEG, 0),
                                Req.ranges(VirtioBlk.T_WRITE_ZEROES, MAX_SEG, 1))),
                breaking(BlkCapacityCheck.NOT_PAST_CAPACITY, "blk: read of 2 sectors from the last one",
                        () -> run(around(Req.read(SECTORS - 1, 1024)))),
                breaking(BlkCapacityCheck.NOT_PAST_CAPACITY, "blk: write starting at capacity",
                        () -> run(around(Req.write(SECTORS, 512)))),
                breaking(BlkDataSizeCheck.SECTOR_MULTIPLE, "blk: IN of 700 bytes",
                        () -> run(around(Req.read(4, 700)))),
                breaking(BlkDataSizeCheck.SECTOR_MULTIPLE, "blk: OUT of 520 bytes",
                        () -> run(around(Req.write(4, 520)))),
                breaking(BlkFlushCheck.FLUSH_SECTOR_ZERO, "blk: FLUSH with sector 5",
                        () -> run(around(Req.of(VirtioBlk.T_FLUSH, 5, new byte[0], 0)))),
                breaking(BlkFlushCheck.FLUSH_WITHOUT_DATA, "blk: FLUSH with 512 data bytes out",
                        () -> run(around(Req.of(VirtioBlk.T_FLUSH, 0, new byte[512], 0)))),
                breaking(BlkDataSizeCheck.GET_ID_TWENTY, "blk: GET_ID with 19 bytes",
                        () -> run(around(Req.getId(19)))),
                breaking(BlkDataSizeCheck.GET_ID_TWENTY, "blk: GET_ID with 21 bytes",
                        () -> run(around(Req.getId(21)))),
                breaking(BlkSegmentCountCheck.DISCARD_SEGMENTS, "blk: DISCARD with max_discard_seg + 1 segments",
                        () -> run(around(Req.ranges(VirtioBlk.T_DISCARD, MAX_SEG + 1, 0)))),
                breaking(BlkSegmentCountCheck.WRITE_ZEROES_SEGMENTS, "blk: WRITE_ZEROES with max_write_zeroes_seg + 1 segments",
                        () -> run(around(Req.ranges(VirtioBlk.T_WRITE_ZEROES, MAX_SEG + 1, 0)))),
                breaking(BlkDataSizeCheck.SEGMENT_MULTIPLE, "blk: DISCARD of 2 segments and 8 bytes more",
                        () -> run(around(Req.ranges(VirtioBlk.T_DISCARD, 2, 0).withExtraOut(8)))),
                breaking(BlkDataSizeCheck.SEGMENT_MULTIPLE, "blk: WRITE_ZEROES of 24 bytes",
                        () -> run(around(Req.ranges(VirtioBlk.T_WRITE_ZEROES, 1, 0).withExtraOut(8)))),
                breaking(BlkDiscardUnmapCheck.DISCARD_UNMAP_CLEAR, "blk: DISCARD with UNMAP in its second segment",
                        () -> run(around(discardUnmapInSecond()))),
                breaking(BlkReadOnlyAcceptCheck.ACCEPT_RO, "blk: read-only disk, RO not accepted (reads only)",
                        () -> run(true, BlkRig.features(false), Req.getId(20), Req.read(0, 4096), Req.flush())));
    }

    /** A DISCARD of two segments, the second with UNMAP. */
    private static Req discardUnmapInSecond() {
        Req clear = Req.ranges(VirtioBlk.T_DISCARD, 2, 0);
        byte[] out = clear.out().clone();
        out[16 + 12] = 1;   // second segment's flags: UNMAP
        return new Req(clear.header(), out, 0);
    }

}
