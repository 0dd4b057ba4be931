package dev.pvkit.conformance.certify;

import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Check;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.explore.NetBehaviourDevice;
import dev.pvkit.conformance.explore.NetCase;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.Firmware;
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
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.spec.PvSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    /** The longest the workload waits for the driver's gratuitous ARP after announce-self. */
    private static final Duration ANNOUNCE_WAIT = Duration.ofSeconds(5);
    /** iPXE's virtio-net boot ROM for a modern device (Debian package ipxe-qemu). */
    static final Path IPXE_ROM = Path.of("/usr/lib/ipxe/qemu/pxe-virtio.rom");
    /** How long a firmware run goes on after the lease: iPXE's next steps (ARP, TFTP attempts) are its driver's too. */
    private static final Duration DHCP_SETTLE = Duration.ofSeconds(3);

    private final PvSpec spec;
    private final List<Check> checks;
    private final Clock clock;

    public NetCertification(PvSpec spec, List<Check> checks, Clock clock) {
        this.spec = spec;
        this.checks = checks;
        this.clock = clock;
    }

    public CertificationService.Result run(CertifyOptions o, Progress progress) throws InterruptedException {
        return run(o, 1, Tries.NONE, progress);
    }

    /**
     * The generated-behaviour phase of a net certification: {@code tries} tries from {@code seed} within {@code budget},
     * or the one case {@code replay} instead.
     */
    public record Tries(int tries, long seed, Duration budget, NetCase replay) {
        public static final Tries NONE = new Tries(0, 0, Duration.ZERO, null);

        public Tries {
            if (tries < 0) throw new IllegalArgumentException("tries cannot be negative");
            if (budget == null || budget.isNegative()) throw new IllegalArgumentException("a time budget of zero or more is needed");
        }

        boolean enabled() {
            return tries > 0 || replay != null;
        }

        /**
         * What a user asked for, in the words both front ends share: tries only when asked for ({@code tries}, or a
         * replay; null means none, as the blk profiles' tries are a disk's), the run's seed and time budget from
         * {@code explore}, and the replay word decoded as a net case.
         *
         * @throws IllegalArgumentException with a reason when {@code replayWord} is not a net case
         */
        public static Tries of(Integer tries, ExploreOptions explore, String replayWord) {
            NetCase replayed = replayWord == null ? null : dev.pvkit.conformance.explore.CaseCodec.decodeNet(replayWord);
            return new Tries(tries == null ? 0 : tries, explore.seed(), explore.timeBudget(), replayed);
        }
    }

    /** As {@link #run(CertifyOptions, int, Tries, Progress)} without generated behaviour. */
    public CertificationService.Result run(CertifyOptions o, int queuePairs, Progress progress) throws InterruptedException {
        return run(o, queuePairs, Tries.NONE, progress);
    }

    /**
     * Certifies with {@code queuePairs} receive/transmit pairs offered: more than one gives the guest as many CPUs and
     * pings from each, so that a multiqueue driver uses every pair. With {@link CertifyOptions#firmware()} (SeaBIOS
     * only) the driver judged is iPXE's, QEMU's network boot ROM, configuring itself over DHCP. With {@code tries}
     * enabled, generated device behaviour is tried on the guest after the pings ({@link LiveNetTries}), with the
     * agent's workload only.
     */
    public CertificationService.Result run(CertifyOptions o, int queuePairs, Tries tries, Progress progress) throws InterruptedException {
        if (tries.enabled() && (o.passive() || o.firmware() != null)) {
            throw new SetupException("generated device behaviour (--tries, --replay) needs the agent's workload: not with --passive or --firmware");
        }
        long t0 = System.nanoTime();
        String startedAt = Instant.now().toString();
        Reports.checkWritable(o.reportDir());
        if (o.firmware() != null && o.firmware() != Firmware.SEABIOS) {
            throw new SetupException("--device net certifies a firmware's driver under SeaBIOS only (iPXE, QEMU's network boot ROM)");
        }
        if (o.firmware() != null && !Files.exists(IPXE_ROM)) {
            throw new SetupException("iPXE's virtio-net ROM " + IPXE_ROM + " is missing (Debian package ipxe-qemu)");
        }
        GuestImage image = o.firmware() == null ? CertificationService.image(o, progress) : null;
        Path dir = CertificationService.tempDir();
        EventLog log = new EventLog();
        Map<String, String> guest = new LinkedHashMap<>();
        Map<String, String> device = new LinkedHashMap<>();
        String incomplete;
        Path consoleCopy;
        long guestStart;
        EthernetSwitch sw = new EthernetSwitch();
        Responder responder = new Responder(sw, 0x0200_0000_00feL, Ipv4.parse(RESPONDER_ADDRESS), 24); // it plugs itself into the switch
        Path socket = dir.resolve("net.sock");
        ExplorationSummary explored = null;
        VirtioNetDevice port = new VirtioNetDevice("guest", sw, NetOptions.defaults().withMac(GUEST_MAC).withQueuePairs(queuePairs))
                .trafficListener(new NetRecorder(log));
        NetBehaviourDevice behaving = new NetBehaviourDevice(port); // serves as plainly as the port until a try says otherwise
        try (port;
             VhostUserBackend backend = VhostUserBackend.serve(behaving, socket, VhostUserBackend.Options.defaults().withWorkers(1)
                     .withObserver(new BackendRecorder(log)))) {
            QemuOptions q;
            if (image != null) {
                q = QemuOptions.of(image).cpus(queuePairs).template(o.template() != null ? o.template() : QemuCommandLine.DEFAULT_TEMPLATE)
                        .device(VhostUserDevice.net(socket, queuePairs).withPacked(true).withProperties(List.of("mac=52:54:00:12:34:56", "host_mtu=1500")));
                if (o.append() != null) q.kernelArgs(o.append().split("\\s+"));
                q.kernelArgs(CertificationService.KERNEL_BANNER_LOGLEVEL);
            } else {
                // The ROM's PCI id is the modern device's (1af4:1041): SeaBIOS runs it only for a modern-only device.
                q = QemuOptions.firmwareBoot().memoryMiB(128).cpus(1).template(Firmware.SEABIOS.template())
                        .device(VhostUserDevice.net(socket, queuePairs).withProperties(List.of("mac=52:54:00:12:34:56",
                                "disable-legacy=on", "romfile=" + IPXE_ROM, "bootindex=1")));
            }
            q.accelerator(image == null && o.accelerator() == Accelerator.AUTO ? Accelerator.TCG : o.accelerator())
                    .timeLimit(o.timeout()).runDirectory(dir.resolve("qemu"));
            TransportCapture capture = TransportCapture.attach(q, log);
            progress.step(image == null ? "booting SeaBIOS with iPXE's virtio-net ROM"
                    : o.passive() ? "booting (passive: observing the guest's own network driver)" : "booting the guest");
            guestStart = EventLog.nowMicros();
            try (QemuInstance vm = QemuLauncher.launch(q);
                 ConsoleWatcher console = ConsoleWatcher.of(o, vm.consoleLog(), log)) {
                guest.put("accelerator", vm.accelerator().name().toLowerCase(java.util.Locale.ROOT));
                guest.put("qemu command", String.join(" ", vm.command()));
                if (image == null) incomplete = dhcpWorkload(vm, responder, o, guest, progress);
                else if (o.passive()) {
                    // Whatever the guest does on its own (a DHCP client, pings) meets the responder, as the workload's pings do.
                    CertificationService.Ending end = CertificationService.observe(o, vm, capture, console, log, progress, t0);
                    guest.put("run ended", end.why());
                    guest.put("workload", String.format("the guest's own: %d DHCP lease(s) and %d other answer(s) from the responder",
                            responder.dhcpAcknowledged(), responder.answered()));
                    incomplete = end.incomplete();
                } else {
                    Workload w = new Workload(vm, queuePairs, log, guest, progress, t0);
                    if (tries.enabled()) {
                        w.explore = agent -> {
                            // Built when the tries start: what the workload broke before them fails the run, not each try.
                            TryChecks judge = new TryChecks(spec, checks, o.judgedDriver(), o.failOn(),
                                    o.waivers() == null ? Set.of() : o.waivers().heldOn(java.time.LocalDate.now(clock)), log.ordered(),
                                    CertificationScope.netAreas());
                            return LiveExploration.runNet(tries.tries(), tries.seed(), tries.budget(), tries.replay(),
                                    "net/" + queuePairs + " pair(s)", queuePairs,
                                    new LiveNetTries(agent, vm, behaving, RESPONDER_ADDRESS, queuePairs, log, judge),
                                    ReplayCommand.prefix(o) + " --device net" + (queuePairs > 1 ? " --queue-pairs " + queuePairs : ""), progress);
                        };
                    }
                    incomplete = w.run();
                    explored = w.explored;
                }
            }
            consoleCopy = CertificationService.keepConsole(dir.resolve("qemu").resolve("console.log"), o.reportDir());
            device.put("type", "virtio-net (vhost-user, virtio-net-pci, PVKit reference back-end: " + queuePairs
                    + " queue pair(s) on a switch with a responder)");
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
        if (image != null) guest.putAll(CertificationService.guestFacts(o, image));
        guest.put("mode", image != null && o.passive() ? "passive (no agent, no workload): the guest's own network use, with the responder at 10.0.2.2"
                : image != null ? "network workload through the PVKit agent (interface up, pings to the responder"
                + (queuePairs > 1 ? " from each of " + queuePairs + " CPUs" : "") + ", QEMU's announce-self)"
                : "firmware: iPXE's virtio-net driver under SeaBIOS, configuring itself over DHCP from the responder");
        if (incomplete != null) guest.put("incomplete", incomplete);
        CertificationService.Waived waived = CertificationService.applyWaivers(o, verdicts, clock);
        Certification c = new Certification(CertificationService.TOOL_VERSION, spec.version().toString(), guest, device, startedAt,
                (System.nanoTime() - t0) / 1e9, CertificationService.summaries(sessions, judged, guestStart), waived.verdicts(),
                o.failOn(), waived.terms(), explored);
        List<Path> reports = Reports.write(c, spec, o.reportDir());
        return new CertificationService.Result(c, reports, incomplete, consoleCopy, null);
    }

    /** The responder's address on the switch. */
    static final String RESPONDER_ADDRESS = "10.0.2.2";

    /**
     * The agent's workload: interface up, then pings from each CPU (one per queue pair), then the generated tries if
     * any ({@link #explore}), then QEMU's announce-self (as after a migration) and a last ping, so that the session
     * goes on past the time the driver has to announce itself.
     */
    private static final class Workload {
        private final QemuInstance vm;
        private final int pairs;
        private final EventLog log;
        private final Map<String, String> guest;
        private final Progress progress;
        private final long t0;
        /** The generated-behaviour phase, run once the interface is up; null for none. */
        Explore explore;
        /** What it found. */
        ExplorationSummary explored;

        interface Explore {
            ExplorationSummary run(GuestAgent agent) throws InterruptedException;
        }

        Workload(QemuInstance vm, int pairs, EventLog log, Map<String, String> guest, Progress progress, long t0) {
            this.vm = vm;
            this.pairs = pairs;
            this.log = log;
            this.guest = guest;
            this.progress = progress;
            this.t0 = t0;
        }

        /** The reason the run is incomplete, or null. */
        String run() throws InterruptedException {
            try {
                GuestAgent agent = vm.agent();
                agent.awaitReady(READY);
                progress.step(String.format("agent ready after %.1f s; waiting for eth0", (System.nanoTime() - t0) / 1e9));
                NetInfo info = agent.awaitInterface("eth0", Duration.ofSeconds(60));
                agent.netUp("eth0", "10.0.2.15/24");
                int small = 0;
                int large = 0;
                for (int cpu = 0; cpu < pairs; cpu++) {
                    progress.step("pinging the responder (" + SMALL_PINGS + " of 56 bytes, " + LARGE_PINGS + " of 1400)"
                            + (pairs > 1 ? " from CPU " + cpu : ""));
                    small += pairs > 1 ? agent.netPing(RESPONDER_ADDRESS, SMALL_PINGS, 56, cpu) : agent.netPing(RESPONDER_ADDRESS, SMALL_PINGS, 56);
                    large += pairs > 1 ? agent.netPing(RESPONDER_ADDRESS, LARGE_PINGS, 1400, cpu) : agent.netPing(RESPONDER_ADDRESS, LARGE_PINGS, 1400);
                }
                if (explore != null) explored = explore.run(agent);
                progress.step("asking the guest to announce itself (QEMU's announce-self)");
                boolean announced = announce(vm, log);
                small += agent.netPing(RESPONDER_ADDRESS, 1, 56);
                guest.put("network driver", info.driver() + " on " + info.device() + ", mtu " + info.mtu() + ", " + info.queues() + " receive queue(s)");
                guest.put("workload", String.format("%d of %d small and %d of %d large pings answered by the responder; "
                        + "announce-self %s", small, SMALL_PINGS * pairs + 1, large, LARGE_PINGS * pairs,
                        announced ? "answered with a gratuitous ARP" : "not answered within " + ANNOUNCE_WAIT.toSeconds() + " s"));
                agent.poweroff();
                vm.awaitExit(Duration.ofSeconds(30));
                return small + large == 0 ? "no ping was answered: the driver moved no packet through the device" : null;
            } catch (RuntimeException e) {
                return "the network workload did not finish: " + LiveBlkTries.oneLine(e);
            }
        }
    }

    /**
     * QEMU's announce-self, recorded as a request whose ack QEMU takes; waits up to {@link #ANNOUNCE_WAIT} for a
     * broadcast ARP from the driver. Whether one came is for DRV-NET-084's check to judge; this only keeps the run short.
     */
    private static boolean announce(QemuInstance vm, EventLog log) throws InterruptedException {
        long asked = EventLog.nowMicros();
        vm.monitor().announceSelf();
        log.add(new VhostUserEvent.NetAnnounceRequested(asked, false)); // only once QEMU took it: a refused request asked nothing
        long deadline = System.nanoTime() + ANNOUNCE_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (log.ordered().stream().anyMatch(e -> e instanceof RingEvent.NetTransmit t && t.micros() > asked && t.announcement())) return true;
            Thread.sleep(100);
        }
        return false;
    }

    /**
     * Waits for iPXE to lease an address from the responder, then a little longer for what it does next, and stops
     * QEMU (iPXE goes on trying to boot from the network for ever); the reason the run is incomplete, or null.
     */
    private static String dhcpWorkload(QemuInstance vm, Responder responder, CertifyOptions o, Map<String, String> guest,
                                       Progress progress) throws InterruptedException {
        progress.step("waiting for iPXE's DHCP exchange with the responder");
        long deadline = System.nanoTime() + o.timeout().toNanos();
        while (responder.dhcpAcknowledged() == 0 && vm.isAlive() && System.nanoTime() < deadline) Thread.sleep(200);
        if (responder.dhcpAcknowledged() > 0) Thread.sleep(DHCP_SETTLE.toMillis());
        guest.put("workload", responder.dhcpAcknowledged() + " DHCP lease(s) acknowledged by the responder");
        vm.close();
        return responder.dhcpAcknowledged() == 0 ? "iPXE leased no address: its driver moved no DHCP exchange through the device" : null;
    }
}
