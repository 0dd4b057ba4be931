package dev.pvkit.conformance.live;

import dev.pvkit.backends.bench.Testpmd;
import dev.pvkit.backends.net.Arp;
import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.SwitchPort;
import dev.pvkit.backends.net.VirtioNetDevice;

import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.NetRecorder;

import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.vhostuser.UnsealedFiles;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * DPDK's C virtio-net front-end (dpdk-testpmd's net_virtio_user, in icmpecho mode: it answers ARP and ICMP echo)
 * exchanges packets with PVKit's back-end: a port of the test's on the switch asks, DPDK answers through its own
 * rings. PVKit's checks then judge DPDK's driver as they judge Linux's, and find one thing: DRV-NET-017 (num_buffers
 * must be 0 on transmit) is broken by every reply, which DPDK builds in the received buffer and whose header it
 * clears except for num_buffers.
 */
class DpdkFrontendInteropTest {
    private static final long ASKER_MAC = 0x0200_0000_0011L;
    private static final int ASKER_IP = Ipv4.parse("10.0.2.11");
    private static final int DPDK_IP = Ipv4.parse("10.0.2.50");

    @TempDir
    Path tmp;

    /** A switch port that keeps every frame delivered to it. */
    static final class Asker implements SwitchPort {
        final List<byte[]> got = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "asker";
        }

        @Override
        public void deliver(byte[] frame) {
            got.add(frame);
        }

        long count(int etherType) {
            return got.stream().filter(f -> f.length >= 14 && Ethernet.type(f) == etherType).count();
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void dpdksFrontEndAnswersArpAndPingsThroughPvkitsBackEnd() throws Exception {
        EthernetSwitch sw = new EthernetSwitch();
        Asker asker = new Asker();
        sw.attach(asker);
        EventLog log = new EventLog();
        Path socket = tmp.resolve("net.sock");
        try (VirtioNetDevice device = new VirtioNetDevice("dpdk", sw, NetOptions.defaults().withPacked(false)).trafficListener(new NetRecorder(log));
             // DPDK seals its memfd against further seals: the trusted-front-end setting, as for QEMU's memory-backend-file.
             VhostUserBackend backend = VhostUserBackend.serve(device, socket, VhostUserBackend.Options.defaults().withWorkers(1)
                     .withObserver(new BackendRecorder(log)).withUnsealedFiles(UnsealedFiles.ACCEPT_AT_RISK))) {
            long dpdkMac;
            try (Testpmd dpdk = Testpmd.frontend(socket, 1, "icmpecho", 1)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> device.negotiatedFeatures() != 0);
                for (int i = 0; i < 20 && asker.count(Ethernet.TYPE_ARP) == 0; i++) {
                    sw.forward(asker, arpRequest());
                    Thread.sleep(250);
                }
                assertThat(asker.count(Ethernet.TYPE_ARP)).as("ARP replies from DPDK\n" + dpdk.output()).isPositive();
                byte[] reply = asker.got.stream().filter(f -> Ethernet.type(f) == Ethernet.TYPE_ARP).findFirst().orElseThrow();
                dpdkMac = Ethernet.source(reply);
                for (int seq = 1; seq <= 20; seq++) sw.forward(asker, echoRequest(dpdkMac, seq));
                await().atMost(Duration.ofSeconds(20)).until(() -> asker.count(Ethernet.TYPE_IPV4) >= 20);
            }
            assertThat(sw.portOf(dpdkMac)).as("DPDK's MAC learnt on PVKit's port").isSameAs(device);
            // A finding in DPDK 22.11's driver: its transmit path clears every header field but num_buffers, so a reply
            // built in a received mbuf (icmpecho does that) goes out with the receive header's num_buffers of 1.
            assertThat(device.counters().findings()).as("transmit header findings").containsOnlyKeys("DRV-NET-017");
            System.out.printf("[dpdk-interop] DPDK %s answered %d ARP and %d echo requests; PVKit port: %d frames out, %d in%n",
                    Ethernet.formatMac(dpdkMac), asker.count(Ethernet.TYPE_ARP), asker.count(Ethernet.TYPE_IPV4),
                    device.counters().txFrames(), device.counters().rxFrames());
        }
        List<RequirementVerdict> verdicts = LiveSupport.netVerdicts(log.ordered());
        List<String> failed = LiveSupport.failures(verdicts);
        System.out.println("[dpdk-interop] checks on DPDK's virtio_user driver: " + (failed.isEmpty() ? "no FAIL" : failed)
                + "; NET passed: " + LiveSupport.netPassed(verdicts));
        assertThat(verdicts.stream().filter(v -> v.outcome() == Outcome.FAIL).map(v -> v.requirement().id()))
                .as("FAILs on DPDK's virtio_user driver: %s", failed).containsExactly("DRV-NET-017");
    }

    private static byte[] arpRequest() {
        return Arp.request(ASKER_MAC, ASKER_IP, DPDK_IP);
    }

    private static byte[] echoRequest(long to, int seq) {
        byte[] icmp = new byte[64];
        icmp[0] = 8;
        Ipv4.put16(icmp, 4, 0x77);
        Ipv4.put16(icmp, 6, seq);
        Ipv4.put16(icmp, 2, Ipv4.checksum(icmp, 0, icmp.length, 0));
        return Ipv4.frame(ASKER_MAC, to, ASKER_IP, DPDK_IP, Ipv4.PROTO_ICMP, icmp);
    }
}
