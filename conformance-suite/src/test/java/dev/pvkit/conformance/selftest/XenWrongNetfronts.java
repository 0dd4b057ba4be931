package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.net.Arp;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.xennet.Netback;
import dev.pvkit.backends.xennet.NetbackOptions;
import dev.pvkit.backends.xennet.VifPaths;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.XenRecorder;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import dev.pvkit.sdk.xen.frontend.NetFrontend;
import dev.pvkit.sdk.xen.netif.Netif;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Xen netfronts that each break one transmit rule, and a correct one, against netback on the emulated platform. */
final class XenWrongNetfronts {
    private static final long GUEST_MAC = 0x0216_3e00_0001L;
    private static final int GUEST_IP = Ipv4.parse("10.0.2.15");
    private static final int RESPONDER_IP = Ipv4.parse("10.0.2.2");
    private static final Duration T = Duration.ofSeconds(10);

    private XenWrongNetfronts() {
    }

    interface Steps {
        void run(NetFrontend fe, int ref) throws Exception;
    }

    static List<WrongDriver> all() {
        return List.of(
                WrongDriver.correct("netfront: ARP for the responder and a reply", () -> session((fe, ref) -> {
                    fe.send(Arp.request(GUEST_MAC, GUEST_IP, RESPONDER_IP));
                    if (fe.receive(T) == null) throw new AssertionError("no ARP reply");
                })),
                wrong("DRV-XNET-001", "a first size smaller than its later fragments", (fe, ref) -> fe.sendSlots(List.of(
                        tx(ref, 0, Netif.TXF_MORE_DATA, 1, 10), tx(ref, 0, 0, 2, 60)))),
                wrong("DRV-XNET-002", "a ring's worth of fragments, every one with MORE_DATA", (fe, ref) -> {
                    List<ByteBuffer> slots = new ArrayList<>();
                    for (int i = 0; i < 256; i++) slots.add(tx(ref, 0, Netif.TXF_MORE_DATA, i, 60));
                    fe.sendSlots(slots);
                }),
                wrong("DRV-XNET-003", "an extra-info record of an unknown type", (fe, ref) -> fe.sendSlots(List.of(
                        tx(ref, 0, Netif.TXF_EXTRA_INFO, 1, 60), extra(9)))),
                wrong("DRV-XNET-004", "an extra-info record of type NONE", (fe, ref) -> fe.sendSlots(List.of(
                        tx(ref, 0, Netif.TXF_EXTRA_INFO, 1, 60), extra(Netif.EXTRA_NONE)))),
                wrong("DRV-XNET-005", "a fragment running past its page", (fe, ref) -> fe.sendSlots(List.of(
                        tx(ref, 4000, 0, 1, 200)))),
                wrong("DRV-XNET-006", "TCPv4 GSO the back-end did not offer", (fe, ref) -> fe.sendSlots(List.of(
                        tx(ref, 0, Netif.TXF_EXTRA_INFO, 1, 60),
                        new Netif.ExtraInfo(Netif.EXTRA_GSO, 0, 1448, Netif.GSO_TCPV4).encode(ByteBuffer.allocate(12), 12)))));
    }

    private static WrongDriver wrong(String id, String name, Steps bad) {
        return WrongDriver.breaking(id, name, () -> session((fe, ref) -> {
            bad.run(fe, ref);
            fe.awaitTransmitted(T);
            // The ring goes on: a correct frame afterwards is answered.
            fe.send(Arp.request(GUEST_MAC, GUEST_IP, RESPONDER_IP));
            if (fe.receive(T) == null) throw new AssertionError("no ARP reply after the bad packet");
        }));
    }

    private static ByteBuffer tx(int ref, int offset, int flags, int id, int size) {
        return new Netif.TxRequest(ref, offset, flags, id, size).encode(ByteBuffer.allocate(Netif.TX_SLOT));
    }

    private static ByteBuffer extra(int type) {
        return new Netif.ExtraInfo(type, 0, 0, 0).encode(ByteBuffer.allocate(Netif.TX_SLOT), Netif.TX_SLOT);
    }

    private static List<Event> session(Steps steps) throws Exception {
        try (EmulatedXen xen = new EmulatedXen()) {
            EmulatedDomain dom0 = xen.domain(0);
            EmulatedDomain domU = xen.domain(1);
            EthernetSwitch sw = new EthernetSwitch();
            new Responder(sw, 0x0200_0000_00feL, RESPONDER_IP, 24);
            VifPaths paths = new VifPaths(0, 1, 0);
            paths.create(dom0.store(), GUEST_MAC);
            XenRecorder recorder = new XenRecorder("vif");
            Netback nb = new Netback(dom0, paths, sw, NetbackOptions.defaults(), recorder, recorder);
            nb.start();
            NetFrontend fe = new NetFrontend(domU, 0, paths.frontend());
            fe.connect(T);
            int ref = domU.grantAccess(0, domU.allocatePage(), true);
            steps.run(fe, ref);
            xen.quiesce();
            nb.close();
            return recorder.events();
        }
    }
}
