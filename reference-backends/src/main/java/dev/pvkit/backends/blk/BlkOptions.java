package dev.pvkit.backends.blk;

/**
 * How a {@link VirtioBlkDevice} presents its disk.
 *
 * @param capacityBytes disk size, a multiple of 512, at most the store's size
 * @param readOnly      offer VIRTIO_BLK_F_RO and refuse every write
 * @param queues        request queues (more than one offers MQ)
 * @param queueSize     the largest ring accepted
 * @param sizeMax       {@code size_max}: the largest single buffer, bytes
 * @param segMax        {@code seg_max}: the most data buffers per request
 * @param blkSize       {@code blk_size}: the optimal logical block size, a power of two ≥ 512
 * @param topology      the TOPOLOGY hints
 * @param limits        discard and write-zeroes support and limits
 * @param serial        the GET_ID string, ASCII, at most 20 characters
 * @param packed        offer VIRTIO_F_RING_PACKED
 */
public record BlkOptions(long capacityBytes, boolean readOnly, int queues, int queueSize, int sizeMax, int segMax,
                         int blkSize, Topology topology, BlockLimits limits, String serial, boolean packed) {

    /** {@code topology} fields: log2 of logical per physical block, first aligned block, min and optimal I/O in blocks. */
    public record Topology(int physicalBlockExp, int alignmentOffset, int minIoSize, int optIoSize) {
        public Topology {
            if (physicalBlockExp < 0 || physicalBlockExp > 255 || alignmentOffset < 0 || alignmentOffset > 255
                    || minIoSize < 0 || minIoSize > 0xffff || optIoSize < 0) {
                throw new IllegalArgumentException("topology field out of range");
            }
        }
    }

    public BlkOptions {
        if (capacityBytes < 0 || capacityBytes % BlockEngine.SECTOR_SIZE != 0) {
            throw new IllegalArgumentException("capacity must be a non-negative multiple of 512: " + capacityBytes);
        }
        if (queues < 1 || queues > 0xffff) throw new IllegalArgumentException("queues must be in 1..65535");
        if (queueSize < 1 || queueSize > 32768) throw new IllegalArgumentException("queue size must be in 1..32768");
        if (sizeMax < 512 || segMax < 1) throw new IllegalArgumentException("size_max must be ≥ 512 and seg_max ≥ 1");
        if (blkSize < 512 || Integer.bitCount(blkSize) != 1) throw new IllegalArgumentException("blk_size must be a power of two ≥ 512");
        if (topology == null || limits == null) throw new IllegalArgumentException("topology and limits are required");
        BlockEngine.idBytes(serial); // validates
    }

    /** The fewest request queues {@link #queuesForThisHost()} offers. */
    public static final int MIN_HOST_QUEUES = 8;
    /** The most request queues {@link #queuesForThisHost()} offers. */
    public static final int MAX_HOST_QUEUES = 64;

    /**
     * The default {@code seg_max}: a request of this many data segments, plus its header and status, fits a ring of
     * 128, the size QEMU's vhost-user-blk-pci gives its rings unless told otherwise ({@code queue-size}), whatever
     * this back-end's own limit. A back-end cannot see the ring's size before the driver reads the configuration,
     * and a driver that honours {@code seg_max} may build chains of {@code seg_max + 2} descriptors: Linux 6.1's
     * virtio_blk, offered 254 on a ring of 128, wrote 1 MiB as one chain of more than 128 descriptors through an
     * indirect table, which the driver rules forbid (DRV-SPLIT-014) and the device refuses. qemu-storage-daemon
     * offers the same 126.
     */
    public static final int DEFAULT_SEG_MAX = 128 - 2;

    /**
     * Request queues for a back-end that serves guests it does not configure ({@code pvkit backend blk}): this host's
     * CPU count, at least {@value #MIN_HOST_QUEUES}, at most {@value #MAX_HOST_QUEUES}.
     *
     * <p>Why: QEMU's vhost-user-blk-pci asks for one queue per vCPU unless told otherwise ({@code num-queues}
     * defaults to the vCPU count since QEMU 5.2), and refuses to start the device when the back-end offers fewer
     * ("The maximum number of queues supported by the backend is 1" for a guest with {@code -smp 2}). A guest seldom
     * has more vCPUs than its host has CPUs; the floor covers small hosts running test guests with a few more.
     * Offering more than a guest uses costs next to nothing: QEMU shows the guest its own {@code num-queues}, and a
     * ring the front-end never starts is never served. The cap keeps a front-end that does take the back-end's count
     * (not QEMU) from setting up hundreds of rings on a large host.
     */
    public static int queuesForThisHost() {
        return queuesFor(Runtime.getRuntime().availableProcessors());
    }

    static int queuesFor(int cpus) {
        return Math.max(MIN_HOST_QUEUES, Math.min(cpus, MAX_HOST_QUEUES));
    }

    /**
     * One queue of 256, {@value #DEFAULT_SEG_MAX} segments of up to 1 MiB, 512-byte blocks, discard and write zeroes,
     * packed offered. One queue keeps what a device offers independent of the machine (tests, recorded traces); a back-end serving
     * QEMU guests it does not configure wants {@code withQueues(queuesForThisHost())}, as {@code pvkit backend blk}
     * does.
     */
    public static BlkOptions defaults(long capacityBytes) {
        return new BlkOptions(capacityBytes, false, 1, 256, 1 << 20, DEFAULT_SEG_MAX, 512, new Topology(0, 0, 1, 0),
                BlockLimits.defaults(), "pvkit-blk", true);
    }

    public BlkOptions withReadOnly(boolean ro) {
        return new BlkOptions(capacityBytes, ro, queues, queueSize, sizeMax, segMax, blkSize, topology, limits, serial, packed);
    }

    public BlkOptions withQueues(int n) {
        return new BlkOptions(capacityBytes, readOnly, n, queueSize, sizeMax, segMax, blkSize, topology, limits, serial, packed);
    }

    public BlkOptions withQueueSize(int n) {
        return new BlkOptions(capacityBytes, readOnly, queues, n, sizeMax, segMax, blkSize, topology, limits, serial, packed);
    }

    public BlkOptions withSegments(int newSizeMax, int newSegMax) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, newSizeMax, newSegMax, blkSize, topology, limits, serial, packed);
    }

    public BlkOptions withBlkSize(int n) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, sizeMax, segMax, n, topology, limits, serial, packed);
    }

    public BlkOptions withTopology(Topology t) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, sizeMax, segMax, blkSize, t, limits, serial, packed);
    }

    public BlkOptions withLimits(BlockLimits l) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, sizeMax, segMax, blkSize, topology, l, serial, packed);
    }

    public BlkOptions withSerial(String s) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, sizeMax, segMax, blkSize, topology, limits, s, packed);
    }

    public BlkOptions withPacked(boolean p) {
        return new BlkOptions(capacityBytes, readOnly, queues, queueSize, sizeMax, segMax, blkSize, topology, limits, serial, p);
    }
}
