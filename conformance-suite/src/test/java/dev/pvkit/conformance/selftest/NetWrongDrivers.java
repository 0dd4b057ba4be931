package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.net.NetHeader;
import dev.pvkit.backends.net.VirtioNet;
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
            rig.receiveBuffers(4, 1526);
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
                        () -> run(without(features(), VirtioNet.F_MRG_RXBUF, VirtioNet.F_MTU), r -> r.receiveBuffers(1, 1000))));
    }
}
