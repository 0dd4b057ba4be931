package dev.pvkit.backends.net;

import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.ArrayList;
import java.util.List;

import static dev.pvkit.backends.net.VirtioNet.*;

/**
 * Judges a transmitted packet's {@code virtio_net_hdr} against what was negotiated (virtio 1.x 5.1.6.2). A packet is
 * dropped when forwarding it would mean trusting what was not agreed (a segmentation request without the feature,
 * checksum offsets outside the packet, a frame over the MTU); header bits the device may ignore are reported and
 * ignored, as DEV-NET-016 asks of unknown flag bits.
 */
public final class TxHeaderCheck {
    private final long features;
    private final int mtu;

    /** {@code mtu} is the negotiated MTU, or 0 when VIRTIO_NET_F_MTU was not negotiated. */
    public TxHeaderCheck(long features, int mtu) {
        this.features = features;
        this.mtu = VirtioFeatures.has(features, F_MTU) ? mtu : 0;
    }

    /**
     * What is wrong with a packet whose chain held {@code readableBytes} bytes: a header {@code h} (null when the chain
     * is shorter than a header) followed by a frame of {@code frameBytes}. Empty: forward it as it is.
     */
    public List<NetFinding> check(NetHeader h, long readableBytes, int frameBytes) {
        List<NetFinding> out = new ArrayList<>(0);
        if (h == null) {
            out.add(new NetFinding("DRV-NET-061", true, "transmit chain of " + readableBytes
                    + " readable bytes is shorter than the 12-byte virtio_net_hdr"));
            return out;
        }
        if (h.numBuffers() != 0) {
            out.add(new NetFinding("DRV-NET-017", false, "transmit header has num_buffers " + h.numBuffers() + ", not 0"));
        }
        boolean csum = VirtioFeatures.has(features, F_CSUM);
        if (!csum && h.flags() != 0) {
            out.add(new NetFinding("DRV-NET-018", false, String.format("transmit header flags 0x%x without VIRTIO_NET_F_CSUM", h.flags())));
        }
        if ((h.flags() & FLAG_DATA_VALID) != 0) {
            out.add(new NetFinding("DRV-NET-053", false, "DATA_VALID set in a transmit header"));
        }
        if ((h.flags() & FLAG_RSC_INFO) != 0) {
            out.add(new NetFinding("DRV-NET-054", false, "RSC_INFO set in a transmit header"));
        }
        int gso = h.gsoType() & ~GSO_ECN;
        if (gso != GSO_NONE) {
            NetFinding g = gsoNotNegotiated(gso);
            if (g != null) {
                out.add(g);
                return out;
            }
            if ((h.flags() & FLAG_NEEDS_CSUM) == 0) {
                out.add(new NetFinding("DRV-NET-043", true, "gso_type " + gso + " without NEEDS_CSUM"));
            }
            if (h.gsoSize() == 0) out.add(new NetFinding("DRV-NET-044", true, "gso_type " + gso + " with gso_size 0"));
        }
        if (csum && (h.flags() & FLAG_NEEDS_CSUM) != 0 && h.csumStart() + h.csumOffset() + 2L > frameBytes) {
            out.add(new NetFinding("DRV-NET-041", true, String.format("checksum at csum_start %d + csum_offset %d lies outside the %d-byte frame",
                    h.csumStart(), h.csumOffset(), frameBytes)));
        }
        if (frameBytes < ETH_HEADER) {
            out.add(new NetFinding(null, true, "frame of " + frameBytes + " bytes is shorter than an Ethernet header"));
        } else if (gso == GSO_NONE && mtu > 0 && frameBytes > mtu + ETH_HEADER) {
            out.add(new NetFinding("DRV-NET-009", true, "non-GSO frame of " + frameBytes + " bytes exceeds mtu " + mtu + " + 14"));
        } else if (frameBytes > (gso == GSO_NONE ? MAX_FRAME : MAX_GSO_FRAME)) {
            int limit = gso == GSO_NONE ? MAX_FRAME : MAX_GSO_FRAME;
            out.add(new NetFinding(null, true, "frame of " + frameBytes + " bytes exceeds the largest " + (gso == GSO_NONE ? "" : "segmentation ")
                    + "frame, " + limit));
        }
        return out;
    }

    /** A segmentation type whose HOST_ feature was not negotiated, or one that does not exist. */
    private NetFinding gsoNotNegotiated(int gso) {
        String id;
        int feature;
        switch (gso) {
            case GSO_TCPV4 -> { id = "DRV-NET-022"; feature = F_HOST_TSO4; }
            case GSO_TCPV6 -> { id = "DRV-NET-023"; feature = F_HOST_TSO6; }
            case GSO_UDP -> { id = "DRV-NET-024"; feature = F_HOST_UFO; }
            case GSO_UDP_L4 -> { id = "DRV-NET-025"; feature = F_HOST_USO; }
            default -> {
                return new NetFinding("DRV-NET-042", true, "gso_type " + gso + " is no segmentation type");
            }
        }
        if (VirtioFeatures.has(features, feature)) return null;
        return new NetFinding(id, true, "gso_type " + gso + " without its HOST_ feature (bit " + feature + ")");
    }
}
