package dev.pvkit.conformance.certify;

import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Check;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.NetInfo;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.NetRecorder;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.spec.PvSpec;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pvkit certify --device net}: a guest's virtio-net driver on a port of PVKit's switch, with the responder at
 * 10.0.2.2. The workload brings the guest's interface up at 10.0.2.15 and pings the responder with small packets
 * and packets near the MTU (QEMU offers the MTU: {@code host_mtu=1500}); the driver's vhost-user steps, register
 * accesses, ring use and every packet header and receive buffer are recorded, and the common areas and NET are
 * judged. There is no generated device behaviour for net yet, so profiles' tries do not apply.
 */
public final class NetCertification {
    static final long GUEST_MAC = 0x5254_0012_3456L;
    static final int SMALL_PINGS = 10;
    static final int LARGE_PINGS = 5;
    private static final Duration READY = Duration.ofSeconds(120);

    private final PvSpec spec;
    private final List<Check> checks;
    private final Clock clock;

    public NetCertification(PvSpec spec, List<Check> checks, Clock clock) {
        this.spec = spec;
        this.checks = checks;
        this.clock = clock;
    }

    public CertificationService.Result run(CertifyOptions o, Progress progress) throws InterruptedException {
        long t0 = System.nanoTime();
        String startedAt = Instant.now().toString();
        Reports.checkWritable(o.reportDir());
        GuestImage image = CertificationService.image(o, progress);
        Path dir = CertificationService.tempDir();
        EventLog log = new EventLog();
        Map<String, String> guest = new LinkedHashMap<>();
        Map<String, String> device = new LinkedHashMap<>();
        String incomplete = null;
        Path consoleCopy;
        long guestStart;
        EthernetSwitch sw = new EthernetSwitch();
        new Responder(sw, 0x0200_0000_00feL, Ipv4.parse("10.0.2.2"), 24); // it plugs itself into the switch
        Path socket = dir.resolve("net.sock");
        try (VirtioNetDevice port = new VirtioNetDevice("guest", sw, NetOptions.defaults().withMac(GUEST_MAC)).trafficListener(new NetRecorder(log));
             VhostUserBackend backend = VhostUserBackend.serve(port, socket, VhostUserBackend.Options.defaults().withWorkers(1)
                     .withObserver(new BackendRecorder(log)))) {
            QemuOptions q = QemuOptions.of(image).accelerator(o.accelerator()).timeLimit(o.timeout()).runDirectory(dir.resolve("qemu"))
                    .device(VhostUserDevice.net(socket, 1).withPacked(true).withProperties(List.of("mac=52:54:00:12:34:56", "host_mtu=1500")))
                    .template(QemuCommandLine.DEFAULT_TEMPLATE);
            if (o.append() != null) q.kernelArgs(o.append().split("\\s+"));
            q.kernelArgs(CertificationService.KERNEL_BANNER_LOGLEVEL);
            TransportCapture.attach(q, log);
            progress.step("booting the guest");
            guestStart = EventLog.nowMicros();
            try (QemuInstance vm = QemuLauncher.launch(q);
                 ConsoleWatcher console = ConsoleWatcher.of(o, vm.consoleLog(), log)) {
                guest.put("accelerator", vm.accelerator().name().toLowerCase(java.util.Locale.ROOT));
                guest.put("qemu command", String.join(" ", vm.command()));
                try {
                    GuestAgent agent = vm.agent();
                    agent.awaitReady(READY);
                    progress.step(String.format("agent ready after %.1f s; waiting for eth0", (System.nanoTime() - t0) / 1e9));
                    NetInfo info = agent.awaitInterface("eth0", Duration.ofSeconds(60));
                    agent.netUp("eth0", "10.0.2.15/24");
                    progress.step("pinging the responder (" + SMALL_PINGS + " of 56 bytes, " + LARGE_PINGS + " of 1400)");
                    int small = agent.netPing("10.0.2.2", SMALL_PINGS, 56);
                    int large = agent.netPing("10.0.2.2", LARGE_PINGS, 1400);
                    guest.put("network driver", info.driver() + " on " + info.device() + ", mtu " + info.mtu());
                    guest.put("workload", String.format("%d of %d small and %d of %d large pings answered by the responder",
                            small, SMALL_PINGS, large, LARGE_PINGS));
                    if (small + large == 0) incomplete = "no ping was answered: the driver moved no packet through the device";
                    agent.poweroff();
                    vm.awaitExit(Duration.ofSeconds(30));
                } catch (RuntimeException e) {
                    incomplete = "the network workload did not finish: " + e.getMessage().lines().findFirst().orElse("");
                }
            }
            consoleCopy = CertificationService.keepConsole(dir.resolve("qemu").resolve("console.log"), o.reportDir());
            device.put("type", "virtio-net (vhost-user, virtio-net-pci, PVKit reference back-end: one queue pair on a switch with a responder)");
            device.put("frames", String.format("%d transmitted, %d received (%d receive buffers), %d transmitted dropped",
                    port.counters().txFrames(), port.counters().rxFrames(), port.counters().rxBuffers(), port.counters().txDropped()));
        } catch (java.io.IOException e) {
            throw new SetupException("cannot start the guest: " + e.getMessage(), e);
        } finally {
            CertificationService.deleteQuietly(dir);
        }

        progress.step("checking " + log.size() + " observed events");
        List<Event> events = log.ordered();
        List<DriverSession> sessions = SessionSplitter.split(events);
        DriverChoice judged = o.judgedDriver();
        List<RequirementVerdict> verdicts = new CheckEngine(spec, checks).evaluate(
                CertificationScope.requirements(spec, CertificationScope.netAreas()), sessions.stream().filter(judged::judges).toList(), guestStart);
        if (sessions.stream().noneMatch(judged::judges) && incomplete == null) {
            incomplete = "no session of the " + judged.name().toLowerCase(java.util.Locale.ROOT) + " driver was observed";
        }
        CertificationService.putOfferedFeatures(events, device);
        guest.putAll(CertificationService.guestFacts(o, image));
        guest.put("mode", "network workload through the PVKit agent (interface up, pings to the responder)");
        if (incomplete != null) guest.put("incomplete", incomplete);
        CertificationService.Waived waived = CertificationService.applyWaivers(o, verdicts, clock);
        Certification c = new Certification(CertificationService.TOOL_VERSION, spec.version().toString(), guest, device, startedAt,
                (System.nanoTime() - t0) / 1e9, CertificationService.summaries(sessions, judged, guestStart), waived.verdicts(),
                o.failOn(), waived.terms(), null);
        List<Path> reports = Reports.write(c, spec, o.reportDir());
        return new CertificationService.Result(c, reports, incomplete, consoleCopy, null);
    }
}
