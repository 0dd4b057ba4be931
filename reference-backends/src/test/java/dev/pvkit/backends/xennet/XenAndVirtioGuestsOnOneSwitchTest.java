package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Frames;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import dev.pvkit.sdk.xen.frontend.NetFrontend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.pvkit.backends.net.Frames.frameOf;
import static dev.pvkit.backends.net.Frames.tx;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Xen guest (PVKit's Java netfront on the emulated platform, served by netback) and a virtio guest (the SDK's driver
 * model, served by the virtio-net device) as two ports of one switch: the Xen guest's broadcast reaches the virtio
 * guest, and full-size unicast frames come through byte for byte, both ways.
 */
class XenAndVirtioGuestsOnOneSwitchTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long XEN_MAC = 0x0216_3e00_0001L;
    private static final int XEN_IP = Ipv4.parse("10.0.2.21");
    private static final long VIRTIO_MAC = Frames.GUEST_MAC;
    private static final int VIRTIO_IP = Frames.GUEST_IP;

    private final EthernetSwitch sw = new EthernetSwitch();
    private final EmulatedXen xen = new EmulatedXen();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private VirtioNetDevice virtio;
    private DeviceHarness h;
    private Netback netback;
    private NetFrontend xenGuest;

    @AfterEach
    void close() throws Exception {
        if (xenGuest != null) xenGuest.close();
        if (netback != null) netback.close();
        xen.close();
        if (h != null) h.close();
        if (virtio != null) virtio.close();
    }

    @ParameterizedTest(name = "virtio ring {0}")
    @EnumSource(Format.class)
    void aXenGuestAndAVirtioGuestReachEachOtherThroughTheSwitch(Format format) throws Exception {
        virtio = new VirtioNetDevice("virtio0", sw, NetOptions.defaults());
        h = DeviceHarness.of(virtio).ring(format).queueSize(64).requestDrain(Duration.ZERO).start();
        for (int i = 0; i < 4; i++) h.post(VirtioNet.RX, Buffers.of().writable(1526));

        EmulatedDomain dom0 = xen.domain(0);
        EmulatedDomain domU = xen.domain(3);
        VifPaths paths = new VifPaths(0, 3, 0);
        paths.create(dom0.store(), XEN_MAC);
        netback = new Netback(dom0, paths, sw, NetbackOptions.defaults(), new XenObserver() {
        }, new XenNetListener() {
            @Override
            public void transmitted(int queue, int slots, int extras, int size, boolean gso, String rule) {
                if (rule != null) refused.add(rule);
            }
        });
        netback.start();
        xenGuest = new NetFrontend(domU, 0, "/local/domain/3/device/vif/0");
        xenGuest.connect(T);

        // The Xen guest asks who has the virtio guest's address: flooded, so the virtio guest hears it.
        byte[] who = Frames.arpRequest(XEN_MAC, XEN_IP, VIRTIO_IP);
        xenGuest.send(who);
        byte[] heard = frameOf(h.awaitCompletions(1).get(0).writtenBytes());
        assertThat(heard).as("the Xen guest's broadcast, as sent").isEqualTo(who);
        assertThat(sw.portOf(XEN_MAC)).as("the switch learnt the Xen guest behind netback").isSameAs(netback);

        // The virtio guest answers with a full-size unicast frame: it must arrive at the Xen guest unchanged.
        byte[] toXen = Frames.echoRequest(VIRTIO_MAC, XEN_MAC, VIRTIO_IP, XEN_IP, 9, 1, Frames.pattern(1472));
        h.post(VirtioNet.TX, Buffers.of(tx(toXen)));
        h.awaitCompletions(1);
        assertThat(xenGuest.receive(T)).as("the virtio guest's frame, at the Xen guest").isEqualTo(toXen);
        assertThat(sw.portOf(VIRTIO_MAC)).isSameAs(virtio);

        // And back: a full-size frame from the Xen guest reaches the virtio guest unchanged.
        byte[] toVirtio = Frames.echoRequest(XEN_MAC, VIRTIO_MAC, XEN_IP, VIRTIO_IP, 9, 2, Frames.pattern(1472));
        xenGuest.send(toVirtio);
        byte[] got = frameOf(h.awaitCompletions(1).get(0).writtenBytes());
        assertThat(got).as("the Xen guest's frame, at the virtio guest").isEqualTo(toVirtio);

        // The switch counts a frame after its port took it, so the count may trail the delivery just seen.
        org.awaitility.Awaitility.await().atMost(T).untilAsserted(() ->
                assertThat(sw.forwarded()).as("both unicast frames were switched port to port").isEqualTo(2));
        assertThat(Ethernet.destination(got)).isEqualTo(VIRTIO_MAC);
        assertThat(refused).isEmpty();
    }
}
