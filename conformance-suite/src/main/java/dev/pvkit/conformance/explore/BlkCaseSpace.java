package dev.pvkit.conformance.explore;

import java.util.List;

/**
 * What a search may vary, and how far: the ring formats and feature choices it may offer, the disk it works on and
 * how long a workload may get. A profile narrows it; {@link #full()} is everything the reference disk supports.
 *
 * @param formats      ring formats to offer: "split", "packed"
 * @param eventIdx     offer EVENT_IDX: the values allowed (true, false or both)
 * @param indirect     offer INDIRECT_DESC: the values allowed
 * @param queueSizes   largest ring sizes to offer (powers of two)
 * @param diskBlocks   4 KiB blocks on the disk before any capacity change (it may double)
 * @param maxRequests  the most requests one workload may submit (long workloads find index-wrap bugs)
 */
public record BlkCaseSpace(List<String> formats, List<Boolean> eventIdx, List<Boolean> indirect, List<Integer> queueSizes,
                           int diskBlocks, int maxRequests) {
    public BlkCaseSpace {
        formats = List.copyOf(formats);
        eventIdx = List.copyOf(eventIdx);
        indirect = List.copyOf(indirect);
        queueSizes = List.copyOf(queueSizes);
        if (formats.isEmpty() || eventIdx.isEmpty() || indirect.isEmpty() || queueSizes.isEmpty()) {
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

    /** Both formats, both feature choices, queue sizes from 4 to 256, a 256 KiB disk, up to 70,000 requests. */
    public static BlkCaseSpace full() {
        return new BlkCaseSpace(List.of("split", "packed"), List.of(true, false), List.of(true, false),
                List.of(256, 4, 8, 16, 64), 64, 70_000);
    }
}
