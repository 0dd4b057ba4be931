package dev.pvkit.conformance.observe;

import dev.pvkit.backends.blk.BlkDeviceFacts;
import dev.pvkit.backends.blk.BlkRequestListener;

/**
 * Turns what a virtio-blk back-end decoded into events in an {@link EventLog}: each request as a
 * {@link RingEvent.BlkRequest}, and at each feature negotiation the device's facts as a
 * {@link VhostUserEvent.BlkDeviceFacts} (capacity, read-only, segment limits, offered features), which the blk
 * checks find in the same driver session before its requests. Use it next to a {@link BackendRecorder} on the same
 * log: {@code device.requestListener(new BlkRecorder(log))}.
 */
public final class BlkRecorder implements BlkRequestListener {
    private final EventLog log;

    public BlkRecorder(EventLog log) {
        this.log = log;
    }

    @Override
    public void requestServed(int queue, int head, long type, long sector, long dataOutBytes, long dataInBytes,
                              long segments, int segmentFlagsOred, int status) {
        log.add(new RingEvent.BlkRequest(EventLog.nowMicros(), queue, head, type, sector, dataOutBytes, dataInBytes,
                segments, segmentFlagsOred, status));
    }

    @Override
    public void featuresNegotiated(BlkDeviceFacts f) {
        log.add(new VhostUserEvent.BlkDeviceFacts(EventLog.nowMicros(), f.offeredFeatures(), f.negotiatedFeatures(),
                f.capacitySectors(), f.readOnly(), f.maxDiscardSeg(), f.maxWriteZeroesSeg()));
    }
}
