package dev.pvkit.conformance.observe;

import dev.pvkit.backends.net.ControlCommand;
import dev.pvkit.backends.net.NetHeader;
import dev.pvkit.backends.net.NetTrafficListener;
import dev.pvkit.backends.net.NetFinding;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns what a virtio-net back-end saw into events in an {@link EventLog}: each transmitted packet as a
 * {@link RingEvent.NetTransmit}, each receive buffer as a {@link RingEvent.NetReceiveBuffer}, each control command
 * as a {@link RingEvent.NetControl}, each announce request as a {@link VhostUserEvent.NetAnnounceRequested}, each negotiation as a {@link VhostUserEvent.NetDeviceFacts}. Use it next to a {@link BackendRecorder} on the same log:
 * {@code device.trafficListener(new NetRecorder(log))}.
 */
public final class NetRecorder implements NetTrafficListener {
    private final EventLog log;

    public NetRecorder(EventLog log) {
        this.log = log;
    }

    @Override
    public void transmitted(int queue, int head, NetHeader h, long readableBytes, int frameBytes, long sourceMac,
                            long destinationMac, int etherType, boolean announcement, long writableBytes) {
        long now = EventLog.nowMicros();
        if (h == null) {
            log.add(new RingEvent.NetTransmit(now, queue, head, -1, -1, -1, -1, -1, -1, -1, readableBytes, frameBytes, sourceMac,
                    destinationMac, etherType, announcement, writableBytes));
        } else {
            log.add(new RingEvent.NetTransmit(now, queue, head, h.flags(), h.gsoType(), h.hdrLen(), h.gsoSize(), h.csumStart(),
                    h.csumOffset(), h.numBuffers(), readableBytes, frameBytes, sourceMac, destinationMac, etherType, announcement, writableBytes));
        }
    }

    @Override
    public void announceRequested() {
        log.add(new VhostUserEvent.NetAnnounceRequested(EventLog.nowMicros(), true));
    }

    @Override
    public void controlCommand(int queue, int head, ControlCommand c, int ack, List<NetFinding> findings) {
        Map<String, String> broken = new TreeMap<>();
        for (NetFinding f : findings) if (f.requirement() != null) broken.putIfAbsent(f.requirement(), f.message());
        log.add(new RingEvent.NetControl(EventLog.nowMicros(), queue, head, c != null ? c.commandClass() : -1,
                c != null ? c.command() : -1, c != null ? c.dataLength() : 0, ack, broken));
    }

    @Override
    public void receiveBuffer(int queue, int head, long writableBytes, long readableBytes) {
        log.add(new RingEvent.NetReceiveBuffer(EventLog.nowMicros(), queue, head, writableBytes, readableBytes));
    }

    @Override
    public void featuresNegotiated(long offered, long negotiated, int mtu) {
        log.add(new VhostUserEvent.NetDeviceFacts(EventLog.nowMicros(), offered, negotiated, mtu));
    }
}
