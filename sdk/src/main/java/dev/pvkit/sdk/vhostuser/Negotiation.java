package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * Feature negotiation — GET/SET_FEATURES, GET/SET_PROTOCOL_FEATURES, with SET_OWNER and GET_QUEUE_NUM — and what it
 * settled: the protocol features gate requests and decide how the session answers; the virtio features go to the
 * rings, the dirty log and the device.
 */
final class Negotiation {
    private final VirtioDevice device;
    private final BackendObserver observer;
    private final Rings rings;
    private final DirtyLogging dirtyLog;
    private final long offeredFeatures;
    // Read by worker threads too (a ring that breaks announces it on the back-end channel when CONFIG was negotiated).
    private volatile long protocolFeatures;

    Negotiation(VirtioDevice device, BackendObserver observer, Rings rings, DirtyLogging dirtyLog) {
        this.device = device;
        this.observer = observer;
        this.rings = rings;
        this.dirtyLog = dirtyLog;
        this.offeredFeatures = device.features() | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES)
                | VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
    }

    /** True when the front-end acknowledged protocol feature {@code bit}. */
    boolean has(int bit) {
        return ProtocolFeatures.has(protocolFeatures, bit);
    }

    Outcome getFeatures() {
        observer.featuresOffered(offeredFeatures);
        return Outcome.replied(offeredFeatures, Summary.hex("features", offeredFeatures));
    }

    Outcome setFeatures(long v) {
        if ((v & ~offeredFeatures) != 0) {
            throw violation(FrontendRequest.SET_FEATURES, VhostUserRule.FEATURES, String.format("bits 0x%x were not offered", v & ~offeredFeatures));
        }
        rings.useFeatures(v);
        dirtyLog.logAll(VirtioFeatures.has(v, ProtocolFeatures.F_LOG_ALL));
        observer.featuresAcknowledged(v);
        device.featuresNegotiated(v & ~VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES));
        if (!VirtioFeatures.has(v, ProtocolFeatures.F_PROTOCOL_FEATURES)) rings.enableAll();
        return Outcome.handled(Summary.hex("features", v));
    }

    /** Nothing to do: a connection has one front-end, which owns the session from its first message. */
    Outcome setOwner() {
        return Outcome.handled(Summary.NONE);
    }

    Outcome getProtocolFeatures() {
        observer.protocolFeaturesOffered(ProtocolFeatures.OFFERED);
        return Outcome.replied(ProtocolFeatures.OFFERED, Summary.hex("features", ProtocolFeatures.OFFERED));
    }

    Outcome setProtocolFeatures(long v) {
        if ((v & ~ProtocolFeatures.OFFERED) != 0) {
            throw violation(FrontendRequest.SET_PROTOCOL_FEATURES, VhostUserRule.PROTOCOL_FEATURES,
                    String.format("bits 0x%x were not offered", v & ~ProtocolFeatures.OFFERED));
        }
        protocolFeatures = v;
        observer.protocolFeaturesAcknowledged(v);
        return Outcome.handled(Summary.hex("features", v));
    }

    Outcome getQueueNum() {
        return Outcome.replied(rings.count(), "queues=" + rings.count());
    }
}
