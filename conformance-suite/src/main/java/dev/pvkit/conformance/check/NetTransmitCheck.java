package dev.pvkit.conformance.check;

import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.List;
import java.util.Set;

/**
 * The virtio_net_hdr of every transmitted packet against what was negotiated (virtio 5.1.6.2), judged on the
 * features of the session's last negotiation before the packet ({@link VhostUserEvent.NetDeviceFacts}); without
 * one nothing is decided. A segmentation type that exists but was not negotiated is its own requirement's
 * (DRV-NET-022 to 025); DRV-NET-042 decides a type that is none of them.
 */
public final class NetTransmitCheck implements Check {
    public static final String HEADER_SIZE = "DRV-NET-061";
    public static final String NUM_BUFFERS_ZERO = "DRV-NET-017";
    public static final String FLAGS_ZERO_WITHOUT_CSUM = "DRV-NET-018";
    public static final String NO_DATA_VALID = "DRV-NET-053";
    public static final String NO_RSC_INFO = "DRV-NET-054";
    public static final String GSO_TCPV4 = "DRV-NET-022";
    public static final String GSO_TCPV6 = "DRV-NET-023";
    public static final String GSO_UDP = "DRV-NET-024";
    public static final String GSO_UDP_L4 = "DRV-NET-025";
    public static final String GSO_KNOWN_TYPE = "DRV-NET-042";
    public static final String CSUM_INSIDE = "DRV-NET-041";
    public static final String MTU_LIMIT = "DRV-NET-009";
    public static final String GSO_NEEDS_CSUM = "DRV-NET-043";
    public static final String GSO_SIZE_SET = "DRV-NET-044";

    @Override
    public Set<String> decides() {
        return Set.of(HEADER_SIZE, NUM_BUFFERS_ZERO, FLAGS_ZERO_WITHOUT_CSUM, NO_DATA_VALID, NO_RSC_INFO, GSO_TCPV4, GSO_TCPV6,
                GSO_UDP, GSO_UDP_L4, GSO_KNOWN_TYPE, CSUM_INSIDE, MTU_LIMIT, GSO_NEEDS_CSUM, GSO_SIZE_SET);
    }

    @Override
    public String name() {
        return "net transmit header";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        List<VhostUserEvent.NetDeviceFacts> facts = session.events(VhostUserEvent.NetDeviceFacts.class);
        if (facts.isEmpty()) return;
        VhostUserEvent.NetDeviceFacts f = facts.get(facts.size() - 1);
        long features = f.negotiatedFeatures();
        for (RingEvent.NetTransmit t : session.events(RingEvent.NetTransmit.class)) {
            if (!t.hasHeader()) {
                findings.broke(HEADER_SIZE, t.queue(), t, t.describe() + ": the header is 12 bytes");
                continue;
            }
            findings.kept(HEADER_SIZE, t);
            judge(findings, t, t.numBuffers() == 0, NUM_BUFFERS_ZERO, "num_buffers must be 0 on transmit");
            boolean csum = VirtioFeatures.has(features, VirtioNet.F_CSUM);
            if (!csum) judge(findings, t, t.flags() == 0, FLAGS_ZERO_WITHOUT_CSUM, "flags must be 0 without VIRTIO_NET_F_CSUM");
            else {
                judge(findings, t, (t.flags() & VirtioNet.FLAG_DATA_VALID) == 0, NO_DATA_VALID, "DATA_VALID is not for transmit");
                judge(findings, t, (t.flags() & VirtioNet.FLAG_RSC_INFO) == 0, NO_RSC_INFO, "RSC_INFO is not for transmit");
                if ((t.flags() & VirtioNet.FLAG_NEEDS_CSUM) != 0) {
                    judge(findings, t, t.csumStart() + t.csumOffset() + 2L <= t.frameBytes(), CSUM_INSIDE,
                            "the checksum at csum_start + csum_offset must lie inside the " + t.frameBytes() + "-byte frame");
                }
            }
            int gso = t.gsoType() & ~VirtioNet.GSO_ECN;
            String gsoRule = gsoRule(gso);
            if (gso != VirtioNet.GSO_NONE) {
                int feature = gsoFeature(gso);
                if (feature >= 0) {
                    judge(findings, t, VirtioFeatures.has(features, feature), gsoRule, "gso_type " + gso + " needs its HOST_ feature (bit " + feature + ")");
                    // A segmentation packet leaves its checksum to the device and says the segment size it wants.
                    judge(findings, t, (t.flags() & VirtioNet.FLAG_NEEDS_CSUM) != 0, GSO_NEEDS_CSUM, "a gso_type other than NONE needs NEEDS_CSUM");
                    judge(findings, t, t.gsoSize() > 0, GSO_SIZE_SET, "a gso_type other than NONE needs gso_size, the MSS");
                } else if (!anyHostGso(features)) {
                    findings.broke(GSO_KNOWN_TYPE, t.queue(), t, t.describe() + ": gso_type must be NONE without a HOST_ segmentation feature");
                }
            } else if (!anyHostGso(features)) {
                findings.kept(GSO_KNOWN_TYPE, t);
            }
            if (gso == VirtioNet.GSO_NONE && VirtioFeatures.has(features, VirtioNet.F_MTU)) {
                judge(findings, t, t.frameBytes() <= f.mtu() + VirtioNet.ETH_HEADER, MTU_LIMIT,
                        "a non-GSO frame may be at most mtu " + f.mtu() + " + 14 bytes");
            }
        }
    }

    private static void judge(Findings findings, RingEvent.NetTransmit t, boolean kept, String id, String why) {
        if (kept) findings.kept(id, t);
        else findings.broke(id, t.queue(), t, t.describe() + ": " + why);
    }

    private static boolean anyHostGso(long features) {
        for (int b : new int[]{VirtioNet.F_HOST_TSO4, VirtioNet.F_HOST_TSO6, VirtioNet.F_HOST_UFO, VirtioNet.F_HOST_USO}) {
            if (VirtioFeatures.has(features, b)) return true;
        }
        return false;
    }

    private static String gsoRule(int gso) {
        return switch (gso) {
            case VirtioNet.GSO_TCPV4 -> GSO_TCPV4;
            case VirtioNet.GSO_TCPV6 -> GSO_TCPV6;
            case VirtioNet.GSO_UDP -> GSO_UDP;
            case VirtioNet.GSO_UDP_L4 -> GSO_UDP_L4;
            default -> GSO_KNOWN_TYPE;
        };
    }

    private static int gsoFeature(int gso) {
        return switch (gso) {
            case VirtioNet.GSO_TCPV4 -> VirtioNet.F_HOST_TSO4;
            case VirtioNet.GSO_TCPV6 -> VirtioNet.F_HOST_TSO6;
            case VirtioNet.GSO_UDP -> VirtioNet.F_HOST_UFO;
            case VirtioNet.GSO_UDP_L4 -> VirtioNet.F_HOST_USO;
            default -> -1;
        };
    }
}
