package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;

/**
 * A driver model and a device queue over one ring in one guest memory, for either format. Memory plan: rings at
 * {@link #RINGS}, indirect tables at {@link #INDIRECT}, data buffers from {@link #DATA}; the guest spans
 * {@link #BASE}..{@link #BASE}+{@link #SIZE}.
 */
record QueueRig(DriverQueue driver, DeviceQueue device) {

    static final long BASE = 0x100000;
    static final long SIZE = 0x800000;
    static final long RINGS = BASE;
    static final long INDIRECT = BASE + 0x200000;
    static final long DATA = BASE + 0x400000;
    static final long DATA_SIZE = 0x400000;
    static final int INDIRECT_ENTRIES = 8;

    enum Format { SPLIT, PACKED }

    static SplitRing splitRing(int size) {
        return new SplitRing(size, RINGS, RINGS + 0x80000, RINGS + 0x100000);
    }

    static PackedRing packedRing(int size) {
        return new PackedRing(size, RINGS, RINGS + 0x80000, RINGS + 0x100000);
    }

    static QueueRig create(Format format, GuestMemory memory, int size, long features, int start, ValidationPolicy policy) {
        IndirectArea indirect = new IndirectArea(INDIRECT, INDIRECT_ENTRIES);
        if (format == Format.SPLIT) {
            SplitRing ring = splitRing(size);
            SplitDriverQueue driver = new SplitDriverQueue(memory, ring, features, indirect, start);
            QueueConfig c = QueueConfig.of(0, size, ring.descriptors(), ring.avail(), ring.used(), features)
                    .withPolicy(policy).withBase(start & 0xffff);
            return new QueueRig(driver, new SplitDeviceQueue(memory, c));
        }
        long packedFeatures = features | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        PackedRing ring = packedRing(size);
        int position = start % size;
        boolean wrap = (start / size) % 2 == 0;
        PackedDriverQueue driver = new PackedDriverQueue(memory, ring, packedFeatures, indirect, position, wrap);
        long base = position | (wrap ? 1L << 15 : 0) | (long) position << 16 | (wrap ? 1L << 31 : 0);
        QueueConfig c = QueueConfig.of(0, size, ring.descriptors(), ring.driverEvent(), ring.deviceEvent(), packedFeatures)
                .withPolicy(policy).withBase(base);
        return new QueueRig(driver, new PackedDeviceQueue(memory, c));
    }
}
