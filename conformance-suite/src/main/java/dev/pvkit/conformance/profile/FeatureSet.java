package dev.pvkit.conformance.profile;

import java.util.Objects;

/**
 * One combination of ring features a profile asks to be covered: the device offers these, and the driver is put to
 * the test with them. Plain data: the exploration engine decides how to drive each combination.
 *
 * @param name         the combination's name, unique within its profile, e.g. {@code packed-event-idx}
 * @param ring         {@code split} or {@code packed} (VIRTIO_F_RING_PACKED)
 * @param eventIdx     VIRTIO_RING_F_EVENT_IDX offered
 * @param indirectDesc VIRTIO_RING_F_INDIRECT_DESC offered
 * @param queues       how many request queues the device offers (more than one: VIRTIO_BLK_F_MQ)
 */
public record FeatureSet(String name, Ring ring, boolean eventIdx, boolean indirectDesc, int queues) {

    /** The virtqueue layout. */
    public enum Ring {
        SPLIT, PACKED;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public FeatureSet {
        Objects.requireNonNull(name);
        Objects.requireNonNull(ring);
        if (queues < 1) throw new IllegalArgumentException("queues must be at least 1, got " + queues);
    }

    /** Whether {@code o} asks for the same features (under whatever name). */
    public boolean sameFeatures(FeatureSet o) {
        return ring == o.ring && eventIdx == o.eventIdx && indirectDesc == o.indirectDesc && queues == o.queues;
    }

    /** One line for reports, e.g. {@code packed-event-idx (packed, event_idx, 4 queues)}. */
    public String describe() {
        return name + " (" + ring.key() + (eventIdx ? ", event_idx" : "") + (indirectDesc ? ", indirect_desc" : "")
                + ", " + queues + (queues == 1 ? " queue" : " queues") + ")";
    }
}
