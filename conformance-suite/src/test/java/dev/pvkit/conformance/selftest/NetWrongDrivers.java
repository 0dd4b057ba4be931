package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.net.ControlCommand;
import dev.pvkit.backends.net.ControlQueue;
import dev.pvkit.backends.net.NetHeader;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.conformance.check.NetAnnounceCheck;
import dev.pvkit.conformance.check.NetControlCheck;
import dev.pvkit.conformance.check.NetReceiveBufferCheck;
import dev.pvkit.conformance.check.NetTransmitCheck;
import dev.pvkit.conformance.observe.Event;

import java.util.List;
import java.util.function.Consumer;

import static dev.pvkit.conformance.selftest.NetRig.*;
import static dev.pvkit.conformance.selftest.WrongDriver.breaking;
import static dev.pvkit.conformance.selftest.WrongDriver.correct;

/**
 * Wrong (and correct) virtio-net drivers: each a real {@link NetRig}, driven with valid rings, that posts correct
 * receive buffers and sends correct packets around the one thing it does wrong.
 */
final class NetWrongDrivers {
    private NetWrongDrivers() {
    }

    private static List<Event> run(long features, Consumer<NetRig> wrong) {
        try (NetRig rig = new NetRig(features)) {
            // What a correct driver posts: full frames, or 64 KiB packets under GUEST_TSO without mergeable buffers.
            boolean bigPackets = (features & bits(VirtioNet.F_GUEST_TSO4, VirtioNet.F_GUEST_TSO6)) != 0
                    && (features & bits(VirtioNet.F_MRG_RXBUF)) == 0;
            rig.receiveBuffers(4, bigPackets ? 65_601 : 1526);
            rig.transmit(plain(), udp(64));
            wrong.accept(rig);
            rig.transmit(plain(), udp(32));
            return rig.stop();
        }
    }

    private static List<Event> run(Consumer<NetRig> wrong) {
        return run(features(), wrong);
    }

    private static NetHeader header(int flags, int gso, int gsoSize, int csumStart, int csumOffset, int numBuffers) {
        return new NetHeader(flags, gso, gso == VirtioNet.GSO_NONE ? 0 : 42, gsoSize, csumStart, csumOffset, numBuffers);
    }

    static List<WrongDriver> all() {
        int udpCsum = 34; // csum_start of a UDP checksum: Ethernet + IPv4 headers
        return List.of(
                correct("net: plain packets, NEEDS_CSUM with the checksum inside, a frame of exactly mtu + 14, buffers of 12 bytes and more",
                        () -> run(r -> r.transmit(needsCsum(), udp(100)).transmit(plain(), udp(MTU - 28)).receiveBuffers(2, 12))),
                correct("net: no mergeable buffers, no MTU, no checksum offload, full-frame buffers",
                        () -> run(without(features(), VirtioNet.F_MRG_RXBUF, VirtioNet.F_MTU, VirtioNet.F_CSUM),
                                r -> r.transmit(plain(), udp(1000)).receiveBuffers(2, 1526))),
                correct("net: no mergeable buffers, MTU 1500, buffers of header + 1514",
                        () -> run(without(features(), VirtioNet.F_MRG_RXBUF), r -> r.receiveBuffers(2, 1526))),
                breaking(NetTransmitCheck.HEADER_SIZE, "net: a transmit chain of 10 bytes",
                        () -> run(r -> r.transmit(new byte[10], new byte[0]))),
                breaking(NetTransmitCheck.NUM_BUFFERS_ZERO, "net: num_buffers 1 on transmit",
                        () -> run(r -> r.transmit(header(0, 0, 0, 0, 0, 1), udp(20)))),
                breaking(NetTransmitCheck.FLAGS_ZERO_WITHOUT_CSUM, "net: NEEDS_CSUM without VIRTIO_NET_F_CSUM",
                        () -> run(without(features(), VirtioNet.F_CSUM), r -> r.transmit(needsCsum(), udp(20)))),
                breaking(NetTransmitCheck.NO_DATA_VALID, "net: DATA_VALID on transmit",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_DATA_VALID, 0, 0, 0, 0, 0), udp(20)))),
                breaking(NetTransmitCheck.NO_RSC_INFO, "net: RSC_INFO on transmit",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_RSC_INFO, 0, 0, 0, 0, 0), udp(20)))),
                breaking(NetTransmitCheck.GSO_TCPV4, "net: TCPV4 segmentation without HOST_TSO4",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_TCPV4, 1448, udpCsum, 16, 0), udp(100)))),
                breaking(NetTransmitCheck.GSO_TCPV6, "net: TCPV6 segmentation without HOST_TSO6",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_TCPV6, 1428, udpCsum, 16, 0), udp(100)))),
                breaking(NetTransmitCheck.GSO_UDP, "net: UFO without HOST_UFO",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_UDP, 1400, udpCsum, 6, 0), udp(100)))),
                breaking(NetTransmitCheck.GSO_UDP_L4, "net: USO without HOST_USO",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_UDP_L4, 1400, udpCsum, 6, 0), udp(100)))),
                breaking(NetTransmitCheck.GSO_KNOWN_TYPE, "net: gso_type 2, no segmentation type",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, 2, 1400, udpCsum, 6, 0), udp(100)))),
                breaking(NetTransmitCheck.CSUM_INSIDE, "net: NEEDS_CSUM with csum_start past the frame",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, 0, 0, 200, 6, 0), udp(100)))),
                breaking(NetTransmitCheck.CSUM_INSIDE, "net: NEEDS_CSUM whose checksum field straddles the frame's end",
                        () -> run(r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, 0, 0, udpCsum, 106 - udpCsum - 1, 0), udp(64)))),
                breaking(NetTransmitCheck.MTU_LIMIT, "net: a frame of mtu + 15 bytes",
                        () -> run(r -> r.transmit(plain(), udp(MTU - 27)))),
                breaking(NetReceiveBufferCheck.MERGEABLE_HOLDS_HEADER, "net: a mergeable receive buffer of 8 bytes",
                        () -> run(r -> r.receiveBuffers(1, 8))),
                breaking(NetReceiveBufferCheck.HOLDS_MTU, "net: no mergeable buffers, MTU 1500, a buffer of 1500 bytes",
                        () -> run(without(features(), VirtioNet.F_MRG_RXBUF), r -> r.receiveBuffers(1, 1500))),
                breaking(NetReceiveBufferCheck.HOLDS_FULL_FRAME, "net: no mergeable buffers nor MTU, a buffer of 1000 bytes",
                        () -> run(without(features(), VirtioNet.F_MRG_RXBUF, VirtioNet.F_MTU), r -> r.receiveBuffers(1, 1000))),
                breaking(NetTransmitCheck.GSO_NEEDS_CSUM, "net: a TCPV4 segmentation packet without NEEDS_CSUM",
                        () -> run(with(features(), VirtioNet.F_HOST_TSO4), r -> r.transmit(header(0, VirtioNet.GSO_TCPV4, 1448, 0, 0, 0), udp(100)))),
                breaking(NetTransmitCheck.GSO_SIZE_SET, "net: a TCPV4 segmentation packet with gso_size 0",
                        () -> run(with(features(), VirtioNet.F_HOST_TSO4),
                                r -> r.transmit(header(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_TCPV4, 0, udpCsum, 16, 0), udp(100)))),
                breaking(NetReceiveBufferCheck.HOLDS_GSO_PACKET, "net: GUEST_TSO4 without mergeable buffers, a buffer of 1526 bytes",
                        () -> run(with(without(features(), VirtioNet.F_MRG_RXBUF), VirtioNet.F_GUEST_CSUM, VirtioNet.F_GUEST_TSO4),
                                r -> r.receiveBuffers(1, 1526))),
                correct("net: GUEST_TSO4 without mergeable buffers, buffers of 65601 bytes and more",
                        () -> run(with(without(features(), VirtioNet.F_MRG_RXBUF), VirtioNet.F_GUEST_CSUM, VirtioNet.F_GUEST_TSO4),
                                r -> r.receiveBuffers(2, 65_601))),
                correct("net: control commands with their features: promiscuous off, all-multicast, no broadcast, a MAC table, two pairs",
                        () -> run(withControl(VirtioNet.F_CTRL_RX, VirtioNet.F_CTRL_RX_EXTRA, VirtioNet.F_MQ), r -> {
                            ack(r, command(ControlCommand.CLASS_RX, ControlCommand.RX_PROMISC, 0), ControlQueue.OK);
                            ack(r, command(ControlCommand.CLASS_RX, ControlCommand.RX_ALLMULTI, 1), ControlQueue.OK);
                            ack(r, command(ControlCommand.CLASS_RX, ControlCommand.RX_NOBCAST, 0), ControlQueue.OK);
                            ack(r, macTable(1, 1, 0), ControlQueue.OK);
                            ack(r, command(ControlCommand.CLASS_MQ, ControlCommand.MQ_VQ_PAIRS_SET, 2, 0), ControlQueue.OK);
                        })),
                correct("net: answers an announce request with a gratuitous ARP and ANNOUNCE_ACK",
                        () -> run(withControl(VirtioNet.F_GUEST_ANNOUNCE), r -> {
                            r.requestAnnounce().transmit(plain(), gratuitousArp());
                            ack(r, command(ControlCommand.CLASS_ANNOUNCE, ControlCommand.ANNOUNCE_ACK), ControlQueue.OK);
                            r.waitPastAnnounceGrace();
                        })),
                breaking(NetAnnounceCheck.ANNOUNCES_ITSELF, "net: acknowledges an announce request without announcing itself",
                        () -> run(withControl(VirtioNet.F_GUEST_ANNOUNCE), r -> {
                            r.requestAnnounce();
                            ack(r, command(ControlCommand.CLASS_ANNOUNCE, ControlCommand.ANNOUNCE_ACK), ControlQueue.OK);
                            r.waitPastAnnounceGrace();
                        })),
                breaking(NetAnnounceCheck.ACKNOWLEDGES, "net: announces itself but never sends ANNOUNCE_ACK",
                        () -> run(withControl(VirtioNet.F_GUEST_ANNOUNCE), r -> r.requestAnnounce().transmit(plain(), gratuitousArp()).waitPastAnnounceGrace())),
                breaking(NetControlCheck.RX_NEEDS_CTRL_RX, "net: RX_PROMISC without VIRTIO_NET_F_CTRL_RX",
                        () -> run(withControl(), r -> r.control(command(ControlCommand.CLASS_RX, ControlCommand.RX_PROMISC, 1)))),
                breaking(NetControlCheck.RX_EXTRA_NEEDS_CTRL_RX_EXTRA, "net: RX_NOBCAST without VIRTIO_NET_F_CTRL_RX_EXTRA",
                        () -> run(withControl(VirtioNet.F_CTRL_RX), r -> r.control(command(ControlCommand.CLASS_RX, ControlCommand.RX_NOBCAST, 1)))),
                breaking(NetControlCheck.MAC_NEEDS_CTRL_RX, "net: MAC_TABLE_SET without VIRTIO_NET_F_CTRL_RX",
                        () -> run(withControl(), r -> r.control(macTable(1, 1, 0)))),
                breaking(NetControlCheck.MAC_TABLE_LAYOUT, "net: MAC_TABLE_SET counting 3 unicast addresses but holding 1",
                        () -> run(withControl(VirtioNet.F_CTRL_RX), r -> r.control(macTable(3, 1, 0)))),
                breaking(NetControlCheck.PAIRS_NOT_ZERO, "net: VQ_PAIRS_SET of 0",
                        () -> run(withControl(VirtioNet.F_MQ), r -> r.control(command(ControlCommand.CLASS_MQ, ControlCommand.MQ_VQ_PAIRS_SET, 0, 0)))),
                breaking(NetControlCheck.PAIRS_WITHIN_MAX, "net: VQ_PAIRS_SET of 3 with max_virtqueue_pairs 2",
                        () -> run(withControl(VirtioNet.F_MQ), r -> r.control(command(ControlCommand.CLASS_MQ, ControlCommand.MQ_VQ_PAIRS_SET, 3, 0)))),
                breaking(NetControlCheck.HASH_TUNNEL_NEEDS_FEATURE, "net: HASH_TUNNEL_SET without VIRTIO_NET_F_HASH_TUNNEL",
                        () -> run(withControl(), r -> r.control(command(ControlCommand.CLASS_HASH_TUNNEL, 0, 0, 0, 0, 0)))),
                breaking(NetControlCheck.RSS_CONFIG_NEEDS_RSS, "net: RSS_CONFIG without VIRTIO_NET_F_RSS",
                        () -> run(withControl(VirtioNet.F_MQ), r -> r.control(command(ControlCommand.CLASS_MQ, ControlCommand.MQ_RSS_CONFIG, new int[16])))),
                breaking(NetControlCheck.RSS_CONTEXT_NEEDS_FEATURE, "net: an RSS context command without VIRTIO_NET_F_RSS_CONTEXT",
                        () -> run(withControl(), r -> r.control(command(ControlCommand.CLASS_RSS_CTX, 0, 1, 0)))),
                breaking(NetControlCheck.COALESCING_NEEDS_NOTF_COAL, "net: NOTF_COAL_TX_SET without VIRTIO_NET_F_NOTF_COAL",
                        () -> run(withControl(), r -> r.control(command(ControlCommand.CLASS_NOTF_COAL, 0, new int[8])))),
                breaking(NetControlCheck.VQ_COALESCING_NEEDS_VQ_NOTF_COAL, "net: NOTF_COAL_VQ_SET without VIRTIO_NET_F_VQ_NOTF_COAL",
                        () -> run(withControl(), r -> r.control(command(ControlCommand.CLASS_NOTF_COAL, 2, new int[12])))));
    }

    private static long with(long features, int... more) {
        return features | bits(more);
    }

    private static long bits(int... bits) {
        long f = 0;
        for (int b : bits) f |= dev.pvkit.sdk.virtio.VirtioFeatures.bit(b);
        return f;
    }

    private static ControlCommand command(int cls, int cmd, int... data) {
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) b[i] = (byte) data[i];
        return ControlCommand.of(cls, cmd, b);
    }

    /** MAC_TABLE_SET whose unicast count says {@code unicastCount} while {@code unicast} addresses follow, then {@code multicast} ones. */
    private static ControlCommand macTable(int unicastCount, int unicast, int multicast) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + 6 * (unicast + multicast)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(unicastCount);
        for (int i = 0; i < unicast; i++) b.put(new byte[]{0x02, 0, 0, 0, 0x10, (byte) i});
        b.putInt(multicast);
        for (int i = 0; i < multicast; i++) b.put(new byte[]{0x01, 0, 0x5e, 0, 0, (byte) i});
        return ControlCommand.of(ControlCommand.CLASS_MAC, ControlCommand.MAC_TABLE_SET, b.array());
    }

    /** A correct driver's command must be accepted: otherwise the rig, not the driver, is wrong. */
    private static void ack(NetRig r, ControlCommand c, int expected) {
        int got = r.control(c);
        if (got != expected) throw new IllegalStateException("control command " + c + " answered " + got + ", expected " + expected);
    }
}
