package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The ring format and ring features a session's driver negotiated (VIRTIO_F_RING_PACKED, bit 34;
 * VIRTIO_F_EVENT_IDX, bit 29; VIRTIO_F_INDIRECT_DESC, bit 28), from the features acknowledged over vhost-user.
 * Empty when the session never acknowledged features: then no ring check can say which rules apply.
 */
record RingFormat(boolean packed, boolean eventIdx, boolean indirect) {

    static Optional<RingFormat> of(DriverSession session) {
        OptionalLong f = session.negotiatedFeatures();
        if (f.isEmpty()) return Optional.empty();
        long v = f.getAsLong();
        return Optional.of(new RingFormat(VirtioFeatures.has(v, VirtioFeatures.RING_PACKED),
                VirtioFeatures.has(v, VirtioFeatures.EVENT_IDX), VirtioFeatures.has(v, VirtioFeatures.INDIRECT_DESC)));
    }

    String name() {
        return packed ? "packed" : "split";
    }
}
