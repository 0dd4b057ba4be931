package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.virtio.VirtioFeatures;

/**
 * Where a queue's rings are and how to treat it. Addresses are guest-physical.
 *
 * @param index          queue index, used in observations and errors
 * @param size           queue size Q (split: power of two ≤ 32768; packed: 1..32768)
 * @param descriptors    split: descriptor table; packed: descriptor ring
 * @param driverArea     split: available ring; packed: driver event suppression area
 * @param deviceArea     split: used ring; packed: device event suppression area
 * @param features       negotiated virtio feature bits
 * @param policy         reaction to each chain rule
 * @param observer       who sees the queue's steps
 * @param base           starting position in vhost-user's encoding (split: next available index in bits 0–15;
 *                       packed: avail index bits 0–14, avail wrap bit 15, used index bits 16–30, used wrap bit 31)
 */
public record QueueConfig(int index, int size, long descriptors, long driverArea, long deviceArea, long features,
                          ValidationPolicy policy, QueueObserver observer, long base) {

    /** Largest queue size virtio allows for either format. */
    public static final int MAX_SIZE = 32768;

    /** A queue at the initial position: split index 0; packed indices 0 with both wrap counters 1. */
    public static QueueConfig of(int index, int size, long descriptors, long driverArea, long deviceArea, long features) {
        boolean packed = VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
        return new QueueConfig(index, size, descriptors, driverArea, deviceArea, features, ValidationPolicy.strict(),
                QueueObserver.NONE, packed ? (1L << 15) | (1L << 31) : 0);
    }

    public QueueConfig withPolicy(ValidationPolicy p) {
        return new QueueConfig(index, size, descriptors, driverArea, deviceArea, features, p, observer, base);
    }

    public QueueConfig withObserver(QueueObserver o) {
        return new QueueConfig(index, size, descriptors, driverArea, deviceArea, features, policy, o, base);
    }

    public QueueConfig withBase(long b) {
        return new QueueConfig(index, size, descriptors, driverArea, deviceArea, features, policy, observer, b);
    }

    public boolean packed() {
        return VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
    }

    public boolean eventIdx() {
        return VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX);
    }

    public boolean indirect() {
        return VirtioFeatures.has(features, VirtioFeatures.INDIRECT_DESC);
    }

    public boolean inOrder() {
        return VirtioFeatures.has(features, VirtioFeatures.IN_ORDER);
    }
}
