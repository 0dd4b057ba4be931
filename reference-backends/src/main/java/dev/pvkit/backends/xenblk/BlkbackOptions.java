package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.blkif.BlkifOp;

/**
 * What blkback offers a front-end (the back-end nodes of spec §9.4).
 *
 * @param maxIndirectSegments {@code feature-max-indirect-segments}; 0 offers no INDIRECT
 * @param maxRingPageOrder    {@code max-ring-page-order}: rings of up to 2^order pages
 * @param maxQueues           {@code multi-queue-max-queues}; 1 offers no multi-queue
 * @param sectorSize          {@code sector-size}, a power of two ≥ 512
 * @param persistentGrants    {@code feature-persistent}: keep a front-end's reused grants mapped
 */
public record BlkbackOptions(boolean flush, boolean barrier, boolean discard, int maxIndirectSegments,
                             int maxRingPageOrder, int maxQueues, int sectorSize, boolean persistentGrants) {

    /** Without persistent grants. */
    public BlkbackOptions(boolean flush, boolean barrier, boolean discard, int maxIndirectSegments, int maxRingPageOrder,
                          int maxQueues, int sectorSize) {
        this(flush, barrier, discard, maxIndirectSegments, maxRingPageOrder, maxQueues, sectorSize, false);
    }

    public BlkbackOptions {
        if (maxIndirectSegments < 0 || maxIndirectSegments > BlkifOp.MAX_INDIRECT_PAGES * BlkifOp.SEGMENTS_PER_INDIRECT_PAGE) {
            throw new IllegalArgumentException("max indirect segments out of range: " + maxIndirectSegments);
        }
        if (maxRingPageOrder < 0 || maxRingPageOrder > 4) throw new IllegalArgumentException("ring page order 0–4");
        if (maxQueues < 1 || maxQueues > 64) throw new IllegalArgumentException("1–64 queues");
        if (sectorSize < 512 || Integer.bitCount(sectorSize) != 1) throw new IllegalArgumentException("sector size " + sectorSize);
    }

    /** The same, with discard not offered. */
    public BlkbackOptions withoutDiscard() {
        return new BlkbackOptions(flush, barrier, false, maxIndirectSegments, maxRingPageOrder, maxQueues, sectorSize, persistentGrants);
    }

    /** The same, with persistent grants offered or not. */
    public BlkbackOptions withPersistentGrants(boolean on) {
        return new BlkbackOptions(flush, barrier, discard, maxIndirectSegments, maxRingPageOrder, maxQueues, sectorSize, on);
    }

    /**
     * Everything on: flush, barrier, discard, 256 indirect segments, 16-page rings, 4 queues, 512-byte sectors,
     * persistent grants.
     */
    public static BlkbackOptions defaults() {
        return new BlkbackOptions(true, true, true, 256, 4, 4, 512, true);
    }

    /** Only READ and WRITE on one single-page ring: what the oldest front-ends expect. */
    public static BlkbackOptions minimal() {
        return new BlkbackOptions(false, false, false, 0, 0, 1, 512);
    }
}
