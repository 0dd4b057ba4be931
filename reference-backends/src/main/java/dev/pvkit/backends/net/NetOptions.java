package dev.pvkit.backends.net;

/**
 * How a virtio-net port presents itself: its MAC (config space; QEMU's vhost-user-net shows the guest its own
 * {@code mac=} instead), MTU, whether packed rings and mergeable receive buffers are offered, the largest queue, and
 * how many frames wait for receive buffers before new ones are dropped, and how many queue pairs it has. With {@code checksumOffload} the device
 * offers VIRTIO_NET_F_CSUM and completes the checksums the driver leaves to it (NEEDS_CSUM).
 */
public record NetOptions(long mac, int mtu, boolean packed, boolean mergeableRx, boolean checksumOffload, int queueSize, int waitingFrames,
                         int queuePairs) {

    /** The most receive/transmit queue pairs a port offers (VIRTIO_NET_F_MQ allows 0x8000; QEMU's vhost-user-net takes 1024). */
    public static final int MAX_QUEUE_PAIRS = 8;

    public NetOptions {
        if (mtu < 68 || mtu > VirtioNet.MAX_FRAME - VirtioNet.ETH_HEADER) throw new IllegalArgumentException("mtu must be 68..9216, got " + mtu);
        if (Integer.bitCount(queueSize) != 1 || queueSize > 32768) throw new IllegalArgumentException("queue size must be a power of 2 up to 32768: " + queueSize);
        if (waitingFrames < 1) throw new IllegalArgumentException("waitingFrames must be positive");
        if (queuePairs < 1 || queuePairs > MAX_QUEUE_PAIRS) throw new IllegalArgumentException("queue pairs must be 1.." + MAX_QUEUE_PAIRS + ", got " + queuePairs);
    }

    /** MAC 52:54:00:12:34:56, MTU 1500, packed, mergeable buffers and checksum offload offered, queues of up to 1024, 512 frames waiting, one queue pair. */
    public static NetOptions defaults() {
        return new NetOptions(0x5254_0012_3456L, 1500, true, true, true, 1024, 512, 1);
    }

    public NetOptions withMac(long m) {
        return new NetOptions(m, mtu, packed, mergeableRx, checksumOffload, queueSize, waitingFrames, queuePairs);
    }

    public NetOptions withMtu(int m) {
        return new NetOptions(mac, m, packed, mergeableRx, checksumOffload, queueSize, waitingFrames, queuePairs);
    }

    public NetOptions withPacked(boolean p) {
        return new NetOptions(mac, mtu, p, mergeableRx, checksumOffload, queueSize, waitingFrames, queuePairs);
    }

    public NetOptions withMergeableRx(boolean m) {
        return new NetOptions(mac, mtu, packed, m, checksumOffload, queueSize, waitingFrames, queuePairs);
    }

    public NetOptions withChecksumOffload(boolean c) {
        return new NetOptions(mac, mtu, packed, mergeableRx, c, queueSize, waitingFrames, queuePairs);
    }

    /** {@code n} receive/transmit queue pairs; more than one offers VIRTIO_NET_F_MQ. */
    public NetOptions withQueuePairs(int n) {
        return new NetOptions(mac, mtu, packed, mergeableRx, checksumOffload, queueSize, waitingFrames, n);
    }
}
