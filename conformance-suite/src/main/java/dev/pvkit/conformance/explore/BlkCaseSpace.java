package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.BlkOptions;

import java.util.List;

/**
 * What a search may vary, and how far: the ring formats and feature choices it may offer, the disk it works on and
 * how long a workload may get. A profile narrows it; {@link #full()} is everything the reference disk supports.
 *
 * @param formats      ring formats to offer: "split", "packed"
 * @param eventIdx     offer EVENT_IDX: the values allowed (true, false or both)
 * @param indirect     offer INDIRECT_DESC: the values allowed
 * @param queueSizes   largest ring sizes to offer (powers of two)
 * @param readOnly     offer VIRTIO_BLK_F_RO: the values allowed
 * @param segMax       {@code seg_max} values to offer
 * @param failures     whether requests may be answered with IOERR or UNSUPP (a live guest's requests cannot be
 *                     told apart before they arrive, so a failure there lands on an unknown application operation)
 * @param opKinds      the requests a workload may make, the plainest first (where shrinking goes)
 * @param diskBlocks   4 KiB blocks on the disk before any capacity change (it may double)
 * @param maxRequests  the most requests one workload may submit (long workloads find index-wrap bugs)
 */
public record BlkCaseSpace(List<String> formats, List<Boolean> eventIdx, List<Boolean> indirect, List<Integer> queueSizes,
                           List<Boolean> readOnly, List<Integer> segMax, boolean failures, List<BlkOp.Kind> opKinds, int diskBlocks,
                           int maxRequests) {
    public BlkCaseSpace {
        formats = List.copyOf(formats);
        eventIdx = List.copyOf(eventIdx);
        indirect = List.copyOf(indirect);
        queueSizes = List.copyOf(queueSizes);
        readOnly = List.copyOf(readOnly);
        segMax = List.copyOf(segMax);
        opKinds = List.copyOf(opKinds);
        if (opKinds.isEmpty() || formats.isEmpty() || eventIdx.isEmpty() || indirect.isEmpty() || queueSizes.isEmpty() || readOnly.isEmpty() || segMax.isEmpty()) {
            throw new IllegalArgumentException("every dimension needs at least one value");
        }
        for (String f : formats) {
            if (!f.equals("split") && !f.equals("packed")) throw new IllegalArgumentException("ring format " + f + " is neither split nor packed");
        }
        for (int q : queueSizes) {
            if (q < 4 || q > 32768 || Integer.bitCount(q) != 1) throw new IllegalArgumentException("queue size " + q + " is not a power of 2 in 4..32768");
        }
        if (diskBlocks < 8 || maxRequests < 1) throw new IllegalArgumentException("a disk of at least 8 blocks and at least one request");
    }

    /**
     * Both formats, both feature choices, queue sizes from 4 to 256, read-only or not, seg_max from 1 to 254,
     * failures, a 256 KiB disk, up to 70,000 requests. Each list starts with the plain choice, where shrinking goes.
     */
    public static BlkCaseSpace full() {
        return new BlkCaseSpace(List.of("split", "packed"), List.of(true, false), List.of(true, false),
                List.of(256, 4, 8, 16, 64), List.of(false, true), List.of(254, 1, 2, 3), true, List.of(BlkOp.Kind.values()), 64, 70_000);
    }

    /**
     * What one boot of a live guest with the agent can vary: the serving behaviour only (the offer is fixed when QEMU
     * starts, so it is the device's), failures, short workloads of every request the agent makes (WRITE_ZEROES
     * through its ZEROES command) on a 256 KiB region.
     */
    public static BlkCaseSpace live() {
        return new BlkCaseSpace(List.of("split"), List.of(true), List.of(true), List.of(256), List.of(false), List.of(BlkOptions.DEFAULT_SEG_MAX),
                true, List.of(BlkOp.Kind.WRITE, BlkOp.Kind.READ, BlkOp.Kind.FLUSH, BlkOp.Kind.DISCARD, BlkOp.Kind.WRITE_ZEROES), 64, 64);
    }

    /**
     * What one boot of a guest without the agent can vary: as {@link #live}, though the workload half of a case goes
     * unused (the guest runs its own). Its operations stay those of the first passive searches, so that a seed
     * draws the same device behaviour as it did then.
     */
    public static BlkCaseSpace passive() {
        return new BlkCaseSpace(List.of("split"), List.of(true), List.of(true), List.of(256), List.of(false), List.of(BlkOptions.DEFAULT_SEG_MAX),
                true, List.of(BlkOp.Kind.WRITE, BlkOp.Kind.READ, BlkOp.Kind.FLUSH, BlkOp.Kind.DISCARD), 64, 64);
    }
}
