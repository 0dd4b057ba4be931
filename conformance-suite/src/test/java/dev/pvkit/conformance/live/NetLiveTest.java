package dev.pvkit.conformance.live;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.NetworkNamespace;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.TapPort;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.backends.net.VirtioNetDevice;

import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.NetInfo;
import dev.pvkit.conformance.guest.PatternGenerator;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.NetRecorder;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Linux guests on PVKit's virtio-net back-end, through their own virtio_net driver: one guest pings the responder
 * (small packets and packets near the MTU, which span mergeable buffers when the driver posts small ones); two
 * guests ping each other and copy 1 MiB over TCP through the switch, checksummed on both sides (the TCP checksums
 * left to the device with NEEDS_CSUM are completed by it). PVKit's checks judge each driver's session afterwards and
 * must find nothing wrong with Linux's driver, while having put it to the test. Under TCG.
 */
class NetLiveTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);
    private static final long RESPONDER_MAC = 0x0200_0000_00feL;
    private static GuestImage image;

    @TempDir
    Path tmp;
    private final EthernetSwitch sw = new EthernetSwitch();
    private final Responder responder = new Responder(sw, RESPONDER_MAC, Ipv4.parse("10.0.2.2"), 24);
    private final List<QemuInstance> guests = new ArrayList<>();
    private final List<AutoCloseable> backends = new ArrayList<>();
    private final List<VirtioNetDevice> ports = new ArrayList<>();
    private final List<EventLog> logs = new ArrayList<>();

    /**
     * The checks on what port {@code i}'s driver did (after its guest powered off, so the log is whole): no FAIL in
     * the net driver's scope; returns the NET requirements that passed, kept at least once and never broken.
     */
    private List<String> netVerdicts(int i) throws InterruptedException {
        guests.get(i).awaitExit(Duration.ofSeconds(30));
        List<RequirementVerdict> verdicts = LiveSupport.netVerdicts(logs.get(i).ordered());
        assertThat(LiveSupport.failures(verdicts)).as("FAILs on Linux's virtio_net").isEmpty();
        return LiveSupport.netPassed(verdicts);
    }

    @BeforeAll
    static void buildImage() throws Exception {
        image = LiveSupport.image();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (QemuInstance q : guests) q.close(); // all first: each check below asserts that no QEMU of ours is left
        for (QemuInstance q : guests) LiveSupport.killAndCheckGone(q, tmp);
        for (AutoCloseable c : backends) c.close();
    }

    /** A port on the switch served on its own socket, and a guest on it. */
    private GuestAgent guest(String name, long mac, boolean packed, List<String> properties) throws Exception {
        return guest(name, mac, packed, properties, 1);
    }

    /** A port of {@code pairs} queue pairs, and a guest on it with as many CPUs (Linux uses one pair per CPU). */
    private GuestAgent guest(String name, long mac, boolean packed, List<String> properties, int pairs) throws Exception {
        EventLog log = new EventLog();
        logs.add(log);
        VirtioNetDevice device = new VirtioNetDevice(name, sw, NetOptions.defaults().withMac(mac).withQueuePairs(pairs)).trafficListener(new NetRecorder(log));
        Path socket = tmp.resolve(name + ".sock");
        VhostUserBackend backend = VhostUserBackend.serve(device, socket,
                VhostUserBackend.Options.defaults().withWorkers(1).withObserver(new BackendRecorder(log)));
        backends.add(backend);
        backends.add(device);
        ports.add(device);
        List<String> props = new ArrayList<>(properties);
        props.add("mac=" + Ethernet.formatMac(mac));
        QemuInstance q = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).memoryMiB(256).cpus(pairs)
                .timeLimit(LIMIT).runDirectory(tmp.resolve("run-" + name))
                .device(VhostUserDevice.net(socket, pairs).withPacked(packed).withProperties(props)));
        guests.add(q);
        GuestAgent agent = q.agent();
        agent.awaitReady(Duration.ofSeconds(90));
        return agent;
    }

    @ParameterizedTest(name = "{0} ring, mrg_rxbuf={1}")
    @CsvSource({"split, on", "packed, on", "split, off"})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aGuestPingsTheResponder(String ring, String mergeable) throws Exception {
        boolean packed = ring.equals("packed");
        long t0 = System.nanoTime();
        GuestAgent agent = guest("guest0", 0x5254_0000_0001L, packed, List.of("mrg_rxbuf=" + mergeable, "host_mtu=1500"));
        try {
            NetInfo info = agent.awaitInterface("eth0", Duration.ofSeconds(60));
            assertThat(info.driver()).isEqualTo("virtio_net");
            assertThat(info.mac()).isEqualTo("52:54:00:00:00:01");
            assertThat(info.hasFeature(VirtioFeatures.RING_PACKED)).as("RING_PACKED negotiated").isEqualTo(packed);
            assertThat(info.hasFeature(VirtioNet.F_MRG_RXBUF)).as("MRG_RXBUF negotiated").isEqualTo(mergeable.equals("on"));
            VirtioNetDevice port = ports.get(0);
            assertThat(VirtioFeatures.has(port.negotiatedFeatures(), VirtioNet.F_MRG_RXBUF)).as("back-end: MRG_RXBUF")
                    .isEqualTo(info.hasFeature(VirtioNet.F_MRG_RXBUF));
            assertThat(VirtioFeatures.has(port.negotiatedFeatures(), VirtioFeatures.RING_PACKED)).as("back-end: RING_PACKED")
                    .isEqualTo(packed);

            agent.netUp("eth0", "10.0.2.15/24");
            assertThat(agent.netPing("10.0.2.2", 5, 56)).as("echo replies to 56-byte pings").isEqualTo(5);
            assertThat(agent.netPing("10.0.2.2", 3, 1400)).as("echo replies to 1400-byte pings").isEqualTo(3);
            assertThat(port.counters().findings()).as("transmit header findings").isEmpty();
            assertThat(port.counters().rxDropped()).isZero();
            assertThat(responder.answered()).isGreaterThanOrEqualTo(9); // an ARP reply and 8 echo replies at least
            agent.poweroff();
            List<String> passed = netVerdicts(0);
            assertThat(passed).as("net requirements Linux was put to the test on").contains("DRV-NET-061", "DRV-NET-017",
                    "DRV-NET-053", "DRV-NET-054", "DRV-NET-009", mergeable.equals("on") ? "DRV-NET-060" : "DRV-NET-058");
            System.out.printf("[live-net] %s ring, mrg_rxbuf=%s: %d frames out, %d in (%d buffers); %s; NET passed: %s%n", ring, mergeable,
                    port.counters().txFrames(), port.counters().rxFrames(), port.counters().rxBuffers(), LiveSupport.seconds(t0), passed);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence(), e);
        }
    }

    /**
     * a on a split ring, b on a packed one; with mergeable buffers and two queue pairs each (two CPUs, each pinging
     * the other guest), or without mergeable buffers (64 KiB "big packet" buffers under TSO) and one pair.
     */
    @ParameterizedTest(name = "mrg_rxbuf={0}, {1} queue pair(s)")
    @CsvSource({"on, 2", "off, 1"})
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void twoGuestsPingEachOtherAndCopyAFileThroughTheSwitch(String mergeable, int pairs) throws Exception {
        long t0 = System.nanoTime();
        GuestAgent a = guest("guest-a", 0x5254_0000_000aL, false, List.of("mrg_rxbuf=" + mergeable), pairs);
        GuestAgent b = guest("guest-b", 0x5254_0000_000bL, true, List.of("mrg_rxbuf=" + mergeable), pairs);
        try {
            assertThat(a.awaitInterface("eth0", Duration.ofSeconds(60)).queues()).as("a's receive queues").isEqualTo(pairs);
            assertThat(b.awaitInterface("eth0", Duration.ofSeconds(60)).queues()).as("b's receive queues").isEqualTo(pairs);
            a.netUp("eth0", "10.0.2.15/24");
            b.netUp("eth0", "10.0.2.16/24");
            for (int cpu = 0; cpu < pairs; cpu++) {
                // Linux transmits on the pair of the CPU it runs on; each device answers a flow on the pair it came from.
                assertThat(pairs > 1 ? a.netPing("10.0.2.16", 3, 56, cpu) : a.netPing("10.0.2.16", 3, 56)).as("a pings b from CPU " + cpu).isEqualTo(3);
                assertThat(pairs > 1 ? b.netPing("10.0.2.15", 3, 56, cpu) : b.netPing("10.0.2.15", 3, 56)).as("b pings a from CPU " + cpu).isEqualTo(3);
            }
            for (VirtioNetDevice p : ports) {
                for (int pair = 0; pair < pairs; pair++) {
                    assertThat(p.transmittedOn(pair)).as(p.name() + ": frames transmitted on pair " + pair).isPositive();
                    assertThat(p.receivedOn(pair)).as(p.name() + ": frames received on pair " + pair).isPositive();
                }
            }

            int length = 1 << 20;
            b.netListen(5001);
            a.netSend("10.0.2.16", 5001, length, 7);
            assertThat(b.netReceived(5001, 60)).as("SHA-256 of what b received").isEqualTo(PatternGenerator.sha256(7, length));
            assertThat(sw.portOf(0x5254_0000_000aL)).isSameAs(ports.get(0));
            assertThat(sw.portOf(0x5254_0000_000bL)).isSameAs(ports.get(1));
            for (VirtioNetDevice p : ports) assertThat(p.counters().findings()).as(p.name() + " findings").isEmpty();
            assertThat(VirtioFeatures.has(ports.get(0).negotiatedFeatures(), VirtioNet.F_HOST_TSO4)).as("a negotiated HOST_TSO4").isTrue();
            assertThat(VirtioFeatures.has(ports.get(1).negotiatedFeatures(), VirtioNet.F_GUEST_TSO4)).as("b negotiated GUEST_TSO4").isTrue();
            assertThat(ports.get(0).counters().txSegmentation()).as("a's driver handed over TSO packets").isPositive();
            assertThat(ports.get(1).counters().rxSegmentation()).as("b's driver took them whole").isPositive();
            assertThat(VirtioFeatures.has(ports.get(1).negotiatedFeatures(), VirtioNet.F_MRG_RXBUF)).isEqualTo(mergeable.equals("on"));
            System.out.printf("[live-net] two guests, mrg_rxbuf=%s, %d pair(s): 1 MiB copied a -> b; a %d frames out (%d TSO), b %d frames in (%d TSO); %s%n",
                    mergeable, pairs, ports.get(0).counters().txFrames(), ports.get(0).counters().txSegmentation(), ports.get(1).counters().rxFrames(),
                    ports.get(1).counters().rxSegmentation(), LiveSupport.seconds(t0));
            a.poweroff();
            b.poweroff();
            assertThat(netVerdicts(0)).contains("DRV-NET-041");
            netVerdicts(1);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence() + "\n" + guests.get(1).evidence(), e);
        }
    }

    @ParameterizedTest(name = "{0} ring")
    @CsvSource({"split", "packed"})
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aGuestWithTwoCpusUsesBothQueuePairs(String ring) throws Exception {
        long t0 = System.nanoTime();
        GuestAgent agent = guest("guest-mq", 0x5254_0000_0003L, ring.equals("packed"), List.of(), 2);
        try {
            NetInfo info = agent.awaitInterface("eth0", Duration.ofSeconds(60));
            assertThat(info.hasFeature(VirtioNet.F_MQ)).as("MQ negotiated").isTrue();
            assertThat(info.queues()).as("receive queues Linux set up").isEqualTo(2);
            VirtioNetDevice port = ports.get(0);
            assertThat(VirtioFeatures.has(port.negotiatedFeatures(), VirtioNet.F_MQ)).as("back-end: MQ").isTrue();
            agent.netUp("eth0", "10.0.2.17/24");
            // Linux maps CPU i to transmit queue i (XPS); the device answers a flow on the pair it came from.
            assertThat(agent.netPing("10.0.2.2", 4, 56, 0)).as("pings from CPU 0").isEqualTo(4);
            assertThat(agent.netPing("10.0.2.2", 4, 1400, 1)).as("pings from CPU 1").isEqualTo(4);
            for (int pair = 0; pair < 2; pair++) {
                assertThat(port.transmittedOn(pair)).as("frames transmitted on pair " + pair).isPositive();
                assertThat(port.receivedOn(pair)).as("frames received on pair " + pair + " (DEV-NET-097)").isPositive();
            }
            assertThat(port.counters().findings()).as("transmit header findings").isEmpty();
            assertThat(port.counters().rxDropped()).isZero();
            agent.poweroff();
            List<String> passed = netVerdicts(0);
            System.out.printf("[live-net] two pairs, %s ring: tx %d/%d rx %d/%d; %s; NET passed: %s%n", ring, port.transmittedOn(0),
                    port.transmittedOn(1), port.receivedOn(0), port.receivedOn(1), LiveSupport.seconds(t0), passed);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence(), e);
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void theLinkGoesDownAndUpAndTheDriverFollowsThenAnnouncesItselfWhenAsked() throws Exception {
        long t0 = System.nanoTime();
        GuestAgent agent = guest("guest-link", 0x5254_0000_0004L, false, List.of());
        try {
            agent.awaitInterface("eth0", Duration.ofSeconds(60));
            agent.netUp("eth0", "10.0.2.18/24");
            assertThat(agent.netInfo("eth0").carrier()).as("carrier after NETUP").isEqualTo(1);
            assertThat(agent.netPing("10.0.2.2", 2, 56)).isEqualTo(2);

            // QEMU clears the link bit of the status field and interrupts the driver with a configuration change.
            guests.get(0).monitor().setLink(VhostUserDevice.netdevId(0), false);
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.netInfo("eth0").carrier() == 0);
            assertThat(agent.netPing("10.0.2.2", 1, 56)).as("no echo while the link is down").isZero();

            guests.get(0).monitor().setLink(VhostUserDevice.netdevId(0), true);
            await().atMost(Duration.ofSeconds(30)).until(() -> agent.netInfo("eth0").carrier() == 1);
            assertThat(agent.netPing("10.0.2.2", 2, 56)).as("echo again once the link is up").isEqualTo(2);

            // After a migration QEMU asks the guest to announce itself: ANNOUNCE in the status field, which Linux
            // answers with a gratuitous ARP (and its ack to QEMU's control queue).
            assertThat(VirtioFeatures.has(ports.get(0).negotiatedFeatures(), VirtioNet.F_GUEST_ANNOUNCE)).as("GUEST_ANNOUNCE negotiated").isTrue();
            long asked = EventLog.nowMicros();
            logs.get(0).add(new VhostUserEvent.NetAnnounceRequested(asked, false));
            guests.get(0).monitor().announceSelf();
            await().atMost(Duration.ofSeconds(30)).until(() -> logs.get(0).ordered().stream().anyMatch(e -> e instanceof RingEvent.NetTransmit t
                    && t.micros() > asked && t.announcement()));
            assertThat(agent.netPing("10.0.2.2", 2, 56)).as("the session goes on past the announce").isEqualTo(2);
            assertThat(ports.get(0).counters().findings()).isEmpty();
            agent.poweroff();
            assertThat(netVerdicts(0)).as("Linux announced itself when asked").contains("DRV-NET-084");
            System.out.printf("[live-net] link down and up followed by the driver, announce answered; %s%n", LiveSupport.seconds(t0));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence(), e);
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aNamespaceBehindATapPortAndAGuestPingEachOther() throws Exception {
        String why = NetworkNamespace.unavailable();
        assumeTrue(why == null, "the TAP port test needs root, iproute2 and /dev/net/tun: " + why);
        long t0 = System.nanoTime();
        long pid = ProcessHandle.current().pid();
        GuestAgent agent = guest("guest-tap", 0x5254_0000_0005L, false, List.of());
        try (NetworkNamespace ns = NetworkNamespace.create("pvkit-live-" + pid);
             TapPort tap = TapPort.open("pvkl" + pid % 100_000, sw)) {
            ns.take("pvkl" + pid % 100_000, "10.0.2.70/24");
            agent.awaitInterface("eth0", Duration.ofSeconds(60));
            agent.netUp("eth0", "10.0.2.19/24");
            NetworkNamespace.Result ping = ns.exec("busybox", "ping", "-c", "3", "-W", "5", "10.0.2.19");
            assertThat(ping.exit()).as("the namespace pings the guest: " + ping.output()).isZero();
            assertThat(agent.netPing("10.0.2.70", 3, 1000)).as("the guest pings the namespace").isEqualTo(3);
            assertThat(sw.portOf(0x5254_0000_0005L)).isSameAs(ports.get(0));
            assertThat(tap.fromKernel()).isPositive();
            assertThat(ports.get(0).counters().findings()).isEmpty();
            agent.poweroff();
            netVerdicts(0);
            System.out.printf("[live-net] a namespace behind a TAP port and a guest pinged each other; tap %d frames in, %d out; %s%n",
                    tap.fromKernel(), tap.toKernel(), LiveSupport.seconds(t0));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence(), e);
        }
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aGuestWithTsoAndOneWithoutCopyAFile() throws Exception {
        long t0 = System.nanoTime();
        GuestAgent a = guest("guest-tso", 0x5254_0000_000cL, false, List.of());
        GuestAgent b = guest("guest-plain", 0x5254_0000_000dL, true, List.of("guest_tso4=off", "guest_tso6=off", "guest_ecn=off", "guest_ufo=off"));
        try {
            NetInfo infoA = a.awaitInterface("eth0", Duration.ofSeconds(60));
            NetInfo infoB = b.awaitInterface("eth0", Duration.ofSeconds(60));
            assertThat(infoA.hasFeature(VirtioNet.F_HOST_TSO4)).as("a took HOST_TSO4").isTrue();
            assertThat(infoB.hasFeature(VirtioNet.F_GUEST_TSO4)).as("b refused GUEST_TSO4").isFalse();
            a.netUp("eth0", "10.0.2.21/24");
            b.netUp("eth0", "10.0.2.22/24");
            int length = 1 << 20;
            b.netListen(5003);
            a.netSend("10.0.2.22", 5003, length, 11);
            assertThat(b.netReceived(5003, 90)).as("SHA-256 of what b received").isEqualTo(PatternGenerator.sha256(11, length));
            VirtioNetDevice pa = ports.get(0);
            VirtioNetDevice pb = ports.get(1);
            // a hands over TSO packets; b (no GUEST_TSO) gets their segments, each with valid checksums, as its TCP
            // accepted every byte.
            assertThat(pa.counters().txSegmentation()).as("a handed over TSO packets").isPositive();
            assertThat(pb.counters().rxSegmentation()).as("b got no segmentation packet").isZero();
            assertThat(pb.counters().rxFrames()).as("b got segments: more frames than a sent packets").isGreaterThan(pa.counters().txFrames());
            for (VirtioNetDevice p : ports) assertThat(p.counters().findings()).as(p.name() + " findings").isEmpty();
            System.out.printf("[live-net] TSO to a guest without GUEST_TSO: 1 MiB copied; a %d packets out (%d TSO), b %d frames in; %s%n",
                    pa.counters().txFrames(), pa.counters().txSegmentation(), pb.counters().rxFrames(), LiveSupport.seconds(t0));
            a.poweroff();
            b.poweroff();
            assertThat(netVerdicts(0)).as("a's segmentation packets judged").contains("DRV-NET-043", "DRV-NET-044", "DRV-NET-022");
            netVerdicts(1);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + guests.get(0).evidence() + "\n" + guests.get(1).evidence(), e);
        }
    }
}
