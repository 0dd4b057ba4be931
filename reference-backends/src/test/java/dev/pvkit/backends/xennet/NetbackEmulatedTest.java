package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Frames;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.Ipv4Reassembly;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import dev.pvkit.sdk.xen.frontend.NetFrontend;
import dev.pvkit.sdk.xen.netif.Netif;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** netback on PVKit's switch with the responder, driven by PVKit's Java netfront on the emulated platform. */
class NetbackEmulatedTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long GUEST_MAC = 0x0216_3e00_0001L;
    private static final int GUEST_IP = Ipv4.parse("10.0.2.15");

    private final EmulatedXen xen = new EmulatedXen();
    private final EmulatedDomain dom0 = xen.domain(0);
    private final EmulatedDomain domU = xen.domain(3);
    private final EthernetSwitch sw = new EthernetSwitch();
    private final Responder responder = new Responder(sw, Frames.RESPONDER_MAC, Frames.RESPONDER_IP, 24);
    private final List<String> refused = new CopyOnWriteArrayList<>();

    private Netback netback(NetbackOptions options) {
        VifPaths paths = new VifPaths(0, 3, 0);
        paths.create(dom0.store(), GUEST_MAC);
        Netback nb = new Netback(dom0, paths, sw, options, new XenObserver() {
        }, new XenNetListener() {
            @Override
            public void transmitted(int queue, int slots, int extras, int size, boolean gso, String rule) {
                if (rule != null) refused.add(rule);
            }
        });
        nb.start();
        return nb;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "split event channels: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void aXenGuestResolvesAndPingsTheResponderWithLargeFragmentedPings(boolean split) throws Exception {
        Netback nb = netback(new NetbackOptions(4, split, false));
        NetFrontend fe = new NetFrontend(domU, 0, "/local/domain/3/device/vif/0");
        fe.connect(T);
        assertThat(nb.state()).isEqualTo(XenbusState.CONNECTED);
        assertThat(Ethernet.parseMac(fe.mac())).isEqualTo(GUEST_MAC);

        fe.send(Frames.arpRequest(GUEST_MAC, GUEST_IP, Frames.RESPONDER_IP));
        byte[] reply = fe.receive(T);
        assertThat(reply).isNotNull();
        assertThat(Ethernet.type(reply)).isEqualTo(Ethernet.TYPE_ARP);
        assertThat(Ethernet.destination(reply)).isEqualTo(GUEST_MAC);

        for (int size : new int[]{56, 1400, 3000, 9000}) {
            byte[] data = Frames.pattern(size);
            for (byte[] fragment : Ipv4.fragments(Frames.echoRequest(GUEST_MAC, Frames.RESPONDER_MAC, GUEST_IP,
                    Frames.RESPONDER_IP, 7, size, data), 9000)) {
                fe.send(fragment);
            }
            Ipv4Reassembly reassembly = new Ipv4Reassembly();
            byte[] whole = null;
            while (whole == null) {
                byte[] f = fe.receive(T);
                assertThat(f).as("echo reply of a %d-byte ping", size).isNotNull();
                whole = Ipv4Reassembly.isFragment(f) ? reassembly.add(f) : f;
            }
            Ipv4.Packet p = Ipv4.parse(whole);
            assertThat(p).isNotNull();
            assertThat(p.protocol()).isEqualTo(Ipv4.PROTO_ICMP);
            assertThat(whole[p.payloadAt()]).as("ICMP echo reply").isEqualTo((byte) 0);
            assertThat(p.payloadLength()).isEqualTo(8 + size);
        }
        assertThat(responder.answered()).isGreaterThanOrEqualTo(5);
        assertThat(refused).isEmpty();
        fe.close();
        assertThat(nb.state()).isEqualTo(XenbusState.CLOSED);
        nb.close();
        xen.close();
    }

    @Test
    void malformedTransmitPacketsAreRefusedWithTheirRuleAndTheRingGoesOn() throws Exception {
        Netback nb = netback(NetbackOptions.defaults());
        NetFrontend fe = new NetFrontend(domU, 0, "/local/domain/3/device/vif/0");
        fe.connect(T);
        ByteBuffer page = domU.allocatePage();
        int ref = domU.grantAccess(0, page, true);
        // a fragment running past its page
        fe.sendSlots(List.of(new Netif.TxRequest(ref, 4000, 0, 100, 200).encode(ByteBuffer.allocate(12))));
        // a first size smaller than the later fragments
        fe.sendSlots(List.of(new Netif.TxRequest(ref, 0, Netif.TXF_MORE_DATA, 101, 10).encode(ByteBuffer.allocate(12)),
                new Netif.TxRequest(ref, 0, 0, 102, 60).encode(ByteBuffer.allocate(12))));
        // an extra-info record of type NONE, and a GSO one the back-end did not offer
        fe.sendSlots(List.of(new Netif.TxRequest(ref, 0, Netif.TXF_EXTRA_INFO, 103, 60).encode(ByteBuffer.allocate(12)),
                new Netif.ExtraInfo(Netif.EXTRA_NONE, 0, 0, 0).encode(ByteBuffer.allocate(12), 12)));
        fe.sendSlots(List.of(new Netif.TxRequest(ref, 0, Netif.TXF_EXTRA_INFO, 104, 60).encode(ByteBuffer.allocate(12)),
                new Netif.ExtraInfo(Netif.EXTRA_GSO, 0, 1448, Netif.GSO_TCPV4).encode(ByteBuffer.allocate(12), 12)));
        xen.quiesce();
        org.awaitility.Awaitility.await().atMost(T).until(() -> refused.size() == 4);
        assertThat(refused).containsExactly("DRV-XNET-005", "DRV-XNET-001", "DRV-XNET-004", "DRV-XNET-006");
        for (int id = 100; id <= 104; id++) {
            if (id == 102) continue;
            int i = id;
            org.awaitility.Awaitility.await().atMost(T).until(() -> fe.txStatus(i) != null);
            assertThat(fe.txStatus(id)).as("status of %d", id).isEqualTo(Netif.RSP_ERROR);
        }
        assertThat(domU.grantInUse(ref)).isFalse();
        fe.send(Frames.arpRequest(GUEST_MAC, GUEST_IP, Frames.RESPONDER_IP));
        assertThat(fe.receive(T)).isNotNull();
        nb.close();
        xen.close();
    }

    @Test
    void aCsumBlankUdpPacketReachesOtherPortsWithItsChecksumCompleted() {
        byte[] udp = new byte[8 + 20];
        Ipv4.put16(udp, 0, 4000);
        Ipv4.put16(udp, 2, 7);
        Ipv4.put16(udp, 4, udp.length);
        for (int i = 8; i < udp.length; i++) udp[i] = (byte) i;
        byte[] frame = Ipv4.frame(GUEST_MAC, Frames.RESPONDER_MAC, GUEST_IP, Frames.RESPONDER_IP, Ipv4.PROTO_UDP, udp);
        int l4 = Ipv4.AT + 20;
        // What a netfront leaves: the pseudo-header sum in the checksum field, the rest to the back-end.
        long pseudo = Ipv4.pseudoSum(GUEST_IP, Frames.RESPONDER_IP, Ipv4.PROTO_UDP, udp.length);
        int folded = (int) ((pseudo & 0xffff) + (pseudo >>> 16));
        folded = (folded & 0xffff) + (folded >>> 16);
        Ipv4.put16(frame, l4 + 6, folded);
        dev.pvkit.backends.net.Offload offload = NetbackQueue.checksumLeft(frame);
        assertThat(offload).isNotNull();
        byte[] plain = dev.pvkit.backends.net.Offload.plain(frame, offload).get(0);
        assertThat(Ipv4.checksum(plain, l4, udp.length, Ipv4.pseudoSum(GUEST_IP, Frames.RESPONDER_IP, Ipv4.PROTO_UDP,
                udp.length))).as("UDP checksum verifies").isZero();
        assertThat(NetbackQueue.checksumLeft(Frames.arpRequest(GUEST_MAC, GUEST_IP, Frames.RESPONDER_IP))).isNull();
    }
}
