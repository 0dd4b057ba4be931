package dev.pvkit.conformance.check;

import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.List;
import java.util.Set;

/**
 * The size of every receive buffer the driver made available (virtio 5.1.6.3.1), on the session's last
 * negotiation: with MRG_RXBUF at least a header (DRV-NET-060); without it one buffer must hold a whole packet, of
 * mtu + 14 bytes and the header when MTU was negotiated (DRV-NET-008), else of 1514 bytes and the header
 * (DRV-NET-059, a SHOULD). Under a guest segmentation feature (GUEST_TSO4/6, UFO) without MRG_RXBUF a buffer
 * should hold 65601 bytes (DRV-NET-058, a SHOULD), and the MTU rules give way to it.
 */
public final class NetReceiveBufferCheck implements Check {
    public static final String MERGEABLE_HOLDS_HEADER = "DRV-NET-060";
    public static final String HOLDS_MTU = "DRV-NET-008";
    public static final String HOLDS_FULL_FRAME = "DRV-NET-059";
    public static final String HOLDS_GSO_PACKET = "DRV-NET-058";
    /** The buffer DRV-NET-058 asks for without MRG_RXBUF under a guest segmentation feature (without HASH_REPORT). */
    static final int GSO_BUFFER = 65601;
    private static final int[] GUEST_GSO = {VirtioNet.F_GUEST_TSO4, VirtioNet.F_GUEST_TSO6, VirtioNet.F_GUEST_UFO};

    @Override
    public Set<String> decides() {
        return Set.of(MERGEABLE_HOLDS_HEADER, HOLDS_MTU, HOLDS_FULL_FRAME, HOLDS_GSO_PACKET);
    }

    @Override
    public String name() {
        return "net receive buffers";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        List<VhostUserEvent.NetDeviceFacts> facts = session.events(VhostUserEvent.NetDeviceFacts.class);
        if (facts.isEmpty()) return;
        VhostUserEvent.NetDeviceFacts f = facts.get(facts.size() - 1);
        long features = f.negotiatedFeatures();
        boolean guestGso = false;
        for (int g : GUEST_GSO) guestGso |= VirtioFeatures.has(features, g);
        boolean mergeable = VirtioFeatures.has(features, VirtioNet.F_MRG_RXBUF);
        boolean mtu = VirtioFeatures.has(features, VirtioNet.F_MTU);
        for (RingEvent.NetReceiveBuffer b : session.events(RingEvent.NetReceiveBuffer.class)) {
            if (guestGso && !mergeable) {
                judge(findings, b, b.writableBytes() >= GSO_BUFFER, HOLDS_GSO_PACKET, "under a guest segmentation feature without"
                        + " MRG_RXBUF a buffer should hold " + GSO_BUFFER + " bytes");
            } else if (mergeable) {
                judge(findings, b, b.writableBytes() >= VirtioNet.HEADER_BYTES, MERGEABLE_HOLDS_HEADER, "a mergeable buffer must hold the 12-byte header");
            } else if (mtu) {
                long need = VirtioNet.HEADER_BYTES + f.mtu() + VirtioNet.ETH_HEADER;
                judge(findings, b, b.writableBytes() >= need, HOLDS_MTU, "a buffer must hold header + mtu " + f.mtu() + " + 14 = " + need + " bytes");
            } else {
                judge(findings, b, b.writableBytes() >= 1526, HOLDS_FULL_FRAME, "a buffer should hold header + 1514 = 1526 bytes");
            }
        }
    }

    private static void judge(Findings findings, RingEvent.NetReceiveBuffer b, boolean kept, String id, String why) {
        if (kept) findings.kept(id, b);
        else findings.broke(id, b.queue(), b, b.describe() + ": " + why);
    }
}
