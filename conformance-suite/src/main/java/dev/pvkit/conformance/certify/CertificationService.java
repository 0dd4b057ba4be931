package dev.pvkit.conformance.certify;

import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Check;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.GuestImageBuilder;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.guest.QemuExit;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.BlkRecorder;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.conformance.explore.BehaviourDevice;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkGeometry;
import dev.pvkit.conformance.profile.FeatureSet;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.CertificationTerms;
import dev.pvkit.conformance.verdict.WaivedVerdicts;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certifies a guest's virtio-blk driver: serves it a PVKit virtio-blk disk, boots the guest under QEMU with the
 * transport trace on, runs the standard workload through the agent (or, passive, just watches), then splits what
 * was observed into driver sessions, runs every check and writes the reports. A plain service with no console
 * code: the CLI and the Maven plugin both call it and show its {@link Progress} their own way.
 */
public final class CertificationService {
    public static final String TOOL_VERSION = "0.1.0";
    static final long DISK_BYTES = 64L << 20;
    /** Console log level that still shows KERN_NOTICE, the kernel banner's level, and hides the chatter below it. */
    static final String KERNEL_BANNER_LOGLEVEL = "loglevel=6";
    private static final Duration DEVICE_WAIT = Duration.ofSeconds(60);
    /** The guest's serial console, kept next to the reports: a firmware's messages, the kernel's log. */
    public static final String CONSOLE_FILE = "console.log";

    private final PvSpec spec;
    private final List<Check> checks;
    private final Clock clock;

    public CertificationService() {
        this(PvSpec.load(), Checks.all());
    }

    public CertificationService(PvSpec spec, List<Check> checks) {
        this(spec, checks, Clock.systemDefaultZone());
    }

    /** @param clock whose date decides whether a waiver has expired */
    public CertificationService(PvSpec spec, List<Check> checks, Clock clock) {
        this.spec = spec;
        this.checks = List.copyOf(checks);
        this.clock = clock;
    }

    /**
     * What a run produced: the verdicts, the report files, why the run ended early (null: it did not), and the
     * guest's serial console as captured ({@value #CONSOLE_FILE} next to the reports; null if QEMU wrote none).
     */
    public record Result(Certification certification, List<Path> reports, String incomplete, Path console,
                         ExplorationSummary exploration) {
    }

    /** The least time left in the run for which another feature set's boot is started. */
    static final Duration MIN_BOOT_TIME = Duration.ofSeconds(60);
    /** What a feature set's boot spends besides its tries: booting to the agent, powering off. */
    static final Duration BOOT_OVERHEAD = Duration.ofSeconds(30);

    /** Each capacity change grows the disk by this much (the store has room for sixteen). */
    static final long GROWTH_STEP = 1L << 20;

    public Result run(CertifyOptions o, Progress progress) throws InterruptedException {
        return run(o, ExploreOptions.none(), progress);
    }

    /** A run with a generated-behaviour phase after the standard workload (active runs on a fresh disk only). */
    public Result run(CertifyOptions o, ExploreOptions explore, Progress progress) throws InterruptedException {
        long t0 = System.nanoTime();
        String startedAt = Instant.now().toString();
        Reports.checkWritable(o.reportDir());
        checkFiles(o);
        if (o.bareKernel()) o = o.withTemplate(Firmware.SEABIOS.templateBooting(o.kernel(), o.append()));
        GuestImage image = o.bootsKernel() ? image(o, progress) : null;

        Path dir = tempDir();
        EventLog log = new EventLog();
        Map<String, String> guest = new LinkedHashMap<>();
        Map<String, String> device = new LinkedHashMap<>();
        String incomplete = null;
        String ended = null;
        Path consoleCopy = null;
        ExplorationSummary exploration = null;
        long guestStart;
        try (FileBlockStore store = o.disk() != null ? FileBlockStore.open(o.disk(), true)
                : FileBlockStore.create(dir.resolve("disk.img"), DISK_BYTES + 16 * GROWTH_STEP)) {
            long bytes = o.disk() != null ? store.size() / 512 * 512 : DISK_BYTES;
            // The reference device's offer; the exploration varies only how it serves.
            BlkBehaviour offer = BlkBehaviour.plain().withPacked(true).withReadOnly(o.disk() != null);
            // A replayed case is served as it was found: with the configuration values its boot offered.
            if (explore.replay() != null) offer = offer.withGeometry(explore.replay().behaviour().geometry());
            Map<String, String> configurations = new LinkedHashMap<>();
            AtomicLong announced = new AtomicLong(-1);
            boolean exploring = explore.enabled() && !o.passive() && o.disk() == null;
            BootPlan plan = exploring ? BootPlan.of(o.profile(), explore) : null;
            BehaviourDevice disk = new BehaviourDevice(store, bytes, offer, plan != null ? plan.queues() : 1, GROWTH_STEP, (capacity, told) -> {
                if (told) announced.set(capacity);
            });
            Path socket = dir.resolve("blk.sock");
            if (explore.enabled() && !exploring && !o.passive()) progress.step("explore: skipped (generated behaviour needs a fresh, writable disk)");
            FeatureSet mainSet = plan != null ? plan.main() : BootPlan.QEMU_DEFAULT;
            QemuOptions q = qemuOptions(o, image, socket, dir.resolve("qemu"), mainSet);
            TransportCapture capture = TransportCapture.attach(q, log);
            BlkRecorder blkRecorder = new BlkRecorder(log);
            disk.disk().requestListener(capture.countingRequests(blkRecorder));
            AtomicInteger regions = new AtomicInteger();
            List<ExplorationSummary> explored = new ArrayList<>();
            Accelerator used = null;
            Ending end = null;
            try (VhostUserBackend backend = VhostUserBackend.serve(disk, socket,
                    VhostUserBackend.Options.defaults().withObserver(new BackendRecorder(log)))) {
                progress.step(o.passive() ? "booting (passive: observing the guest's own drivers)" : "booting the guest");
                guestStart = EventLog.nowMicros();
                try (QemuInstance vm = QemuLauncher.launch(q);
                     ConsoleWatcher console = ConsoleWatcher.of(o, vm.consoleLog(), log)) {
                    used = vm.accelerator();
                    guest.put("accelerator", vm.accelerator().name().toLowerCase(java.util.Locale.ROOT));
                    guest.put("qemu command", String.join(" ", vm.command()));
                    if (o.passive()) {
                        end = observe(o, vm, capture, console, log, progress, t0);
                    } else {
                        ExploreOptions share = plan == null ? ExploreOptions.none() : new ExploreOptions(plan.triesPerBoot(), explore.seed(),
                                plan.budgetPerBoot(), explore.shrinkTries(), explore.replay());
                        Explored x = drive(o, vm, log, progress, t0, share, mainSet, disk, store, bytes, announced, regions);
                        end = x.ending();
                        if (x.summary() != null) explored.add(x.summary());
                    }
                    incomplete = end.incomplete();
                    ended = end.why();
                }
                consoleCopy = keepConsole(dir.resolve("qemu").resolve("console.log"), o.reportDir());
                GuestResult result = end.result();
                if (end.exit() != null && result != GuestResult.NONE) guest.put("guest's own result", GuestResult.describe(result, end.exit()));
                if (o.passive() && explore.enabled()) {
                    // Only a guest that reported passing through the exit device is searched: one that powers off has
                    // no self-check to fail, and one whose own check already failed (or whose codes mean something
                    // else, as the int 13h probe's 0x10) would fail every try alike.
                    if (result != GuestResult.PASSED || end.exit().poweredOff()) {
                        progress.step("explore: skipped (a guest without the agent takes part only when its run ends by "
                                + "writing 0, its own check passed, to the exit device; then 1 to 63 fail a try)");
                    } else {
                        explored.add(passiveSearch(o, image, socket, dir, mainSet, used, explore, disk, blkRecorder, log, progress,
                                end.seconds(), t0));
                    }
                }
                if (plan != null && incomplete == null) {
                    for (String why : plan.skipped()) progress.step("explore: feature set " + why + " not covered");
                    if (!plan.skipped().isEmpty()) guest.put("feature sets not covered", String.join("; ", plan.skipped()));
                    List<String> notReached = new ArrayList<>();
                    for (int k = 0; k < plan.extra().size(); k++) {
                        FeatureSet f = plan.extra().get(k);
                        // --timeout bounds the whole run: a boot starts only with time left for its tries.
                        Duration left = o.timeout().minusNanos(System.nanoTime() - t0);
                        if (left.compareTo(MIN_BOOT_TIME) < 0) {
                            notReached.add(f.name());
                            continue;
                        }
                        // Each boot of its own also offers configuration values of its own, drawn from the run's seed
                        // (so --seed gives the same boots again); the standard workload's boot keeps the plain ones.
                        BlkGeometry g = BlkGeometry.draw(explore.seed() + k + 1);
                        disk.reoffer(g);
                        configurations.put("configuration in " + f.name(), g.describe());
                        progress.step(String.format("explore: feature set %d of %d, offering %s", k + 2, plan.extra().size() + 1, g.describe()));
                        Duration budget = plan.budgetPerBoot().compareTo(left.minus(BOOT_OVERHEAD)) < 0 ? plan.budgetPerBoot() : left.minus(BOOT_OVERHEAD);
                        ExploreOptions share = new ExploreOptions(plan.triesPerBoot(), explore.seed() + explored.size(), budget,
                                explore.shrinkTries(), null);
                        ExplorationSummary x = featureSetBoot(o.withTimeout(left), image, socket, dir, f, used, share, disk, store, bytes,
                                announced, regions, blkRecorder, log, progress);
                        if (x != null) explored.add(x);
                    }
                    if (!notReached.isEmpty()) {
                        String why = String.join(", ", notReached) + " (the run's --timeout of " + o.timeout().toSeconds() + " s was spent)";
                        progress.step("explore: feature sets not reached: " + why);
                        guest.merge("feature sets not covered", why, (a, b) -> a + "; " + b);
                    }
                }
                if (!explored.isEmpty()) exploration = ExplorationSummary.merge(explored);
            }
            device.put("type", "virtio-blk (vhost-user-blk-pci, PVKit reference back-end)");
            device.put("capacity", bytes + " bytes" + (o.disk() != null ? ", read-only image " + o.disk() : ", fresh disk"));
            device.put("configuration", offer.offeredGeometry().describe());
            device.putAll(configurations);
        } catch (IOException e) {
            throw new SetupException("cannot serve the disk: " + e.getMessage(), e);
        } finally {
            deleteQuietly(dir);
        }

        progress.step("checking " + log.size() + " observed events");
        List<Event> events = log.ordered();
        List<DriverSession> sessions = SessionSplitter.split(events);
        DriverChoice judged = o.judgedDriver();
        List<RequirementVerdict> verdicts = new CheckEngine(spec, checks)
                .evaluate(CertificationScope.requirements(spec, CertificationScope.blkAreas()),
                        sessions.stream().filter(judged::judges).toList(), guestStart);
        if (sessions.stream().noneMatch(judged::judges)) {
            incomplete = incomplete != null ? incomplete : "no session of the " + judged.name().toLowerCase(java.util.Locale.ROOT)
                    + " driver was observed (" + sessions.size() + " session(s) in all; see --driver)";
        }
        putOfferedFeatures(events, device);
        guest.putAll(guestFacts(o, image));
        if (ended != null) guest.put("run ended", ended);
        if (incomplete != null) guest.put("incomplete", incomplete);
        Waived waived = applyWaivers(o, verdicts, clock);
        verdicts = waived.verdicts();
        CertificationTerms terms = waived.terms();
        if (o.profile() != null) terms = new CertificationTerms(o.profile().facts(), terms.waiverFile(), terms.waivers());
        Certification c = new Certification(TOOL_VERSION, spec.version().toString(), guest, device, startedAt,
                (System.nanoTime() - t0) / 1e9, summaries(sessions, judged, guestStart), verdicts, o.failOn(), terms, exploration);
        List<Path> reports = Reports.write(c, spec, o.reportDir());
        return new Result(c, reports, incomplete, consoleCopy, exploration);
    }

    /** The verdicts with the run's waivers applied, and the terms the reports show for them. */
    record Waived(List<RequirementVerdict> verdicts, CertificationTerms terms) {
    }

    /** Applies {@code o}'s waivers (if any) to {@code verdicts} as of {@code clock}'s today. */
    static Waived applyWaivers(CertifyOptions o, List<RequirementVerdict> verdicts, Clock clock) {
        if (o.waivers() == null) return new Waived(verdicts, CertificationTerms.NONE);
        WaivedVerdicts w = o.waivers().apply(verdicts, clock);
        return new Waived(w.verdicts(), new CertificationTerms(Map.of(), o.waivers().file().toString(), w.uses()));
    }

    /** The features the back-end offered (the first GET_FEATURES answer), as the device's "offered features" fact. */
    static void putOfferedFeatures(List<Event> events, Map<String, String> device) {
        events.stream().filter(e -> e instanceof VhostUserEvent.FeaturesOffered).map(e -> (VhostUserEvent.FeaturesOffered) e)
                .findFirst().ifPresent(f -> device.put("offered features", String.format("0x%x", f.features())));
    }

    /**
     * Why the run ended, and why it ended early (null: it did not); for a run that ended with QEMU's exit, how it
     * exited and how long the guest ran.
     */
    record Ending(String why, String incomplete, QemuExit exit, GuestResult result, double seconds) {
        Ending(String why, String incomplete) {
            this(why, incomplete, null, GuestResult.NONE, 0);
        }
    }

    /** How often a passive run looks at QEMU and the device. */
    private static final long OBSERVE_POLL_MILLIS = 200;
    /** How long a passive run goes on after the firmware's idle marker, for anything still under way to arrive. */
    private static final Duration MARKER_GRACE = Duration.ofSeconds(2);

    /**
     * Passive: no agent, no workload. Watches until QEMU exits (the guest powered off, reset under -no-reboot, or
     * wrote to the exit device), the guest's drivers have left the device alone for {@link
     * CertifyOptions#effectiveQuietEnd()} after using it (register accesses, vhost-user messages, requests and
     * console milestones all count as activity), or the time limit. Any of these is a normal end: a passive run
     * observes what the guest chose to do.
     */
    static Ending observe(CertifyOptions o, QemuInstance vm, TransportCapture capture, ConsoleWatcher console, EventLog log,
                           Progress progress, long t0) throws InterruptedException {
        Duration left = o.timeout().minusNanos(System.nanoTime() - t0);
        Duration quiet = o.effectiveQuietEnd();
        progress.step("observing until the guest powers off or exits through the exit device"
                + (o.firmware() != null && o.firmware().idleMarker() != null ? ", or the console shows '" + o.firmware().idleMarker().strip() + "'" : "")
                + (quiet != null ? ", or its drivers leave the device alone for " + quiet.toSeconds() + " s" : "")
                + ", at most " + Math.max(0, left.toSeconds()) + " s");
        long deadline = System.nanoTime() + left.toNanos();
        int lastSize = log.size();
        long lastChange = System.nanoTime();
        while (vm.isAlive()) {
            long now = System.nanoTime();
            int size = log.size();
            if (size != lastSize) {
                lastSize = size;
                lastChange = now;
            }
            if (console.markerSeen() && now - console.markerSeenNanos() >= MARKER_GRACE.toNanos()) {
                vm.close();
                String why = String.format("%s ('%s' on the console %.1f s into the run; it uses the device no more "
                        + "without input); QEMU was stopped", o.firmware().idleMeaning(), o.firmware().idleMarker().strip(),
                        (console.markerSeenNanos() - t0) / 1e9);
                progress.step("run ended: " + why);
                return new Ending(why, null);
            }
            if (quiet != null && capture.accesses() > 0) {
                long lastActivity = Math.max(lastChange, capture.lastAccessNanos());
                if (now - lastActivity >= quiet.toNanos()) {
                    vm.close();
                    String why = String.format("the guest's drivers left the device alone for %d s (last activity %.1f s into the run; "
                            + "--quiet-end); QEMU was stopped", quiet.toSeconds(), (lastActivity - t0) / 1e9);
                    progress.step("run ended: " + why);
                    return new Ending(why, null);
                }
            }
            if (now >= deadline) {
                vm.close();
                String why = "time limit (--timeout " + o.timeout().toSeconds() + " s) reached; QEMU was stopped";
                progress.step("run ended: " + why);
                return new Ending(capture.accesses() == 0 ? why + " before any driver touched the device" : why, null);
            }
            Thread.sleep(OBSERVE_POLL_MILLIS);
        }
        QemuExit exit = vm.awaitResult(Duration.ofSeconds(10));
        GuestResult result = GuestResult.of(exit, vm.qemuLog());
        String why = exit.killed() ? "QEMU was killed at the hard time limit (" + exit + ")"
                // Status 1 alone needs the guest-result reading ("wrote 0", not "QEMU failed"); the rest read as before.
                : "the guest ended QEMU: " + (exit.status() == GuestResult.WROTE_ZERO && result == GuestResult.PASSED
                        ? GuestResult.describe(result, exit) : describe(exit));
        progress.step("run ended: " + why);
        return new Ending(why, null, exit, result, (System.nanoTime() - t0) / 1e9);
    }

    /** A guest may run this many times as long as its first run before a try counts as hung, plus a margin. */
    static final int PASSIVE_TRY_FACTOR = 3;
    static final Duration PASSIVE_TRY_MARGIN = Duration.ofSeconds(15);

    /**
     * Oracle 5: generated tries on a guest without the agent. Each boots the guest again on the device serving the
     * try's behaviour; the guest's result through the exit device judges it, and the checks watch every session.
     */
    private ExplorationSummary passiveSearch(CertifyOptions o, GuestImage image, Path socket, Path dir, FeatureSet set, Accelerator used,
                                             ExploreOptions explore, BehaviourDevice disk, BlkRecorder blkRecorder, EventLog log,
                                             Progress progress, double firstRunSeconds, long t0) throws InterruptedException {
        Duration left = o.timeout().minusNanos(System.nanoTime() - t0);
        Duration budget = explore.timeBudget().compareTo(left.minus(BOOT_OVERHEAD)) < 0 ? explore.timeBudget() : left.minus(BOOT_OVERHEAD);
        Duration limit = Duration.ofMillis((long) (firstRunSeconds * 1000 * PASSIVE_TRY_FACTOR)).plus(PASSIVE_TRY_MARGIN);
        CertifyOptions each = o.withAccelerator(used == null ? o.accelerator() : used).withTimeout(limit.plus(PASSIVE_TRY_MARGIN));
        PassiveTries tries = new PassiveTries(n -> {
            QemuOptions q = qemuOptions(each, image, socket, dir.resolve("qemu-try-" + n), set);
            TransportCapture capture = TransportCapture.attach(q, log);
            disk.disk().requestListener(capture.countingRequests(blkRecorder));
            return q;
        }, disk, log, limit, vm -> ConsoleWatcher.of(o, vm.consoleLog(), log),
                tryChecks(o, log));
        ExploreOptions share = new ExploreOptions(explore.tries(), explore.seed(), budget, explore.shrinkTries(), explore.replay());
        return LiveExploration.runPassive(share, set.name(), BootPlan.seenOffer(set, disk.behaviour()), tries,
                ReplayCommand.prefix(o), progress);
    }

    /** The checks as the search's oracle, leaving aside what the run broke before its tries (and what is waived). */
    private TryChecks tryChecks(CertifyOptions o, EventLog log) {
        Set<String> waived = o.waivers() == null ? Set.of() : o.waivers().heldOn(java.time.LocalDate.now(clock));
        return new TryChecks(spec, checks, o.judgedDriver(), o.failOn(), waived, log.ordered());
    }

    private static String describe(QemuExit exit) {
        if (exit.poweredOff()) return "it powered off or reset (-no-reboot) (status 0)";
        return exit.toString();
    }

    /** How an active run ended, and what its exploration phase found (null: it had none). */
    private record Explored(Ending ending, ExplorationSummary summary) {
    }

    /** Runs the workload through the agent, then the exploration phase, then powers off. */
    private Explored drive(CertifyOptions o, QemuInstance vm, EventLog log, Progress progress, long t0, ExploreOptions explore,
                           FeatureSet set, BehaviourDevice device, BlockStore store, long diskBytes, AtomicLong announced,
                           AtomicInteger regions)
            throws InterruptedException {
        Duration left = o.timeout().minusNanos(System.nanoTime() - t0);
        ExplorationSummary summary = null;
        try {
            vm.agent().awaitReady(left);
            progress.step("guest agent ready after " + seconds(t0) + " s");
            new StandardWorkload(vm.agent(), log, progress).run(DEVICE_WAIT, left);
            if (explore.enabled()) {
                summary = LiveExploration.run(explore, set.name(), BootPlan.seenOffer(set, device.behaviour()), vm.agent(), device,
                        store, diskBytes, log, announced, regions, tryChecks(o, log), ReplayCommand.prefix(o), progress);
            }
            progress.step("workload: power off");
            vm.agent().poweroff();
            QemuExit exit = vm.awaitResult(Duration.ofSeconds(60));
            return new Explored(new Ending("workload finished; " + describe(exit), null), summary);
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
            progress.step("workload stopped early: " + why);
            return new Explored(new Ending("workload stopped early", why), summary);
        }
    }

    /**
     * A boot of its own for feature set {@code f}: QEMU shows the guest those ring features, the tries run as soon as
     * the driver has the disk, then the guest powers off. Null when the boot did not get that far (said in progress).
     */
    private ExplorationSummary featureSetBoot(CertifyOptions o, GuestImage image, Path socket, Path dir, FeatureSet f, Accelerator accel,
                                              ExploreOptions share, BehaviourDevice device, BlockStore store, long diskBytes, AtomicLong announced,
                                              AtomicInteger regions, BlkRecorder blkRecorder, EventLog log, Progress progress)
            throws InterruptedException {
        QemuOptions q = qemuOptions(o.withAccelerator(accel == null ? o.accelerator() : accel), image, socket,
                dir.resolve("qemu-" + f.name()), f);
        TransportCapture capture = TransportCapture.attach(q, log);
        device.disk().requestListener(capture.countingRequests(blkRecorder));
        progress.step("explore: booting again for feature set " + f.describe());
        // A new QEMU starts the guest from its firmware, as a restart does: what drives the device until the kernel's
        // banner is the firmware, and nothing carries over from the powered-off guest.
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.RESTARTING, "QEMU started for feature set " + f.name()));
        try (QemuInstance vm = QemuLauncher.launch(q);
             ConsoleWatcher console = new ConsoleWatcher(vm.consoleLog(), log, null)) {
            vm.agent().awaitReady(DEVICE_WAIT);
            vm.agent().awaitDevice(LiveBlkTries.DISK, DEVICE_WAIT);
            ExplorationSummary x = LiveExploration.run(share, f.name(), BootPlan.seenOffer(f, device.behaviour()), vm.agent(), device,
                    store, diskBytes, log, announced, regions, tryChecks(o, log), ReplayCommand.prefix(o), progress);
            vm.agent().poweroff();
            vm.awaitResult(Duration.ofSeconds(60));
            return x;
        } catch (RuntimeException | IOException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
            progress.step("explore: feature set " + f.name() + " boot stopped early: " + why);
            return null;
        }
    }

    private QemuOptions qemuOptions(CertifyOptions o, GuestImage image, Path socket, Path runDir, FeatureSet set) {
        QemuOptions q = image != null ? QemuOptions.of(image) : QemuOptions.firmwareBoot();
        Accelerator accel = o.accelerator();
        if (image == null && accel == Accelerator.AUTO) accel = Accelerator.TCG;  // AUTO's probe boots the agent
        VhostUserDevice disk = VhostUserDevice.blk(socket, set.queues());
        // QEMU's defaults are the usual feature set: its command line stays as it was unless another set is asked for.
        if (!set.sameFeatures(BootPlan.QEMU_DEFAULT)) {
            disk = disk.withPacked(set.ring() == FeatureSet.Ring.PACKED).withProperties(BootPlan.qemuProperties(set));
        }
        // Linux uses no more request queues than it has CPUs: a multi-queue set needs them to be put to the test.
        if (set.queues() > 1) q.cpus(Math.min(set.queues(), BootPlan.MAX_CPUS));
        q.accelerator(accel).timeLimit(o.timeout()).runDirectory(runDir).device(disk);
        if (o.append() != null) q.kernelArgs(o.append().split("\\s+"));
        // The kernel banner (KERN_NOTICE) tells firmware sessions from the OS's; 'quiet' would hide it. Last wins.
        if (image != null) q.kernelArgs(KERNEL_BANNER_LOGLEVEL);
        if (o.template() != null) {
            q.template(o.template());
        } else {
            // The workload reboots the guest: QEMU must restart it rather than exit.
            q.template(QemuCommandLine.DEFAULT_TEMPLATE.stream().filter(a -> !a.equals("-no-reboot")).toList());
        }
        return q;
    }

    static GuestImage image(CertifyOptions o, Progress progress) {
        try {
            if (o.kernel() != null) return GuestImage.of(o.kernel(), o.initrd());
            progress.step("building the default guest (Debian kernel, busybox initramfs; cached after the first run)");
            return new GuestImageBuilder().progress(progress::step).build();
        } catch (IOException e) {
            throw new SetupException("cannot build the default guest image: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException("interrupted while building the guest image", e);
        }
    }

    private static final String QEMU = "qemu-system-x86_64";

    /** Whether {@code program} is an executable file in a directory of PATH. */
    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    private static void checkFiles(CertifyOptions o) {
        if (!onPath(QEMU)) {
            throw new SetupException(QEMU + " not found on PATH: install QEMU (Debian and Ubuntu: apt-get install qemu-system-x86)");
        }
        if (o.kernel() != null && !Files.isReadable(o.kernel())) throw new SetupException("kernel " + o.kernel() + " is not a readable file");
        if (o.initrd() != null && !Files.isReadable(o.initrd())) throw new SetupException("initrd " + o.initrd() + " is not a readable file");
        if (o.kernel() != null && o.initrd() == null && !o.passive()) {
            throw new SetupException("--kernel needs --initrd with the PVKit agent (or --passive to watch the kernel alone)");
        }
        if (o.bareKernel() && (o.template() != null || o.firmware() != null)) {
            throw new SetupException("--kernel without --initrd boots the kernel bare under SeaBIOS: it cannot go with "
                    + (o.firmware() != null ? "--firmware" : "--qemu-template (put -kernel FILE in the template instead)"));
        }
        if (o.firmware() != null && o.firmware().unavailable() != null) throw new SetupException(o.firmware().unavailable());
        if (o.disk() != null && !Files.isReadable(o.disk())) throw new SetupException("disk " + o.disk() + " is not a readable file");
        if (o.template() != null && !o.template().contains("@DEVICES@")) {
            throw new SetupException("--qemu-template must contain @DEVICES@ as a whole argument (the PVKit disk under test)");
        }
        if (o.template() != null && !o.passive() && !o.template().contains("@AGENT@")) {
            throw new SetupException("--qemu-template must contain @AGENT@ for the workload (or use --passive)");
        }
    }

    static Map<String, String> guestFacts(CertifyOptions o, GuestImage image) {
        Map<String, String> g = new LinkedHashMap<>();
        g.put("driver judged", o.judgedDriver().name().toLowerCase(java.util.Locale.ROOT)
                + (o.driver() == null ? " (default for this guest)" : ""));
        g.put("mode", o.passive() ? "passive (no agent, no workload)" : "standard workload through the PVKit agent");
        if (image != null) g.put("kernel", image.kernelVersion() + (o.kernel() == null ? " (default guest)" : " (" + o.kernel() + ")"));
        if (o.bareKernel()) g.put("kernel", o.kernel() + " (bare: booted with -kernel, no initramfs; SeaBIOS leaves the disk to it)");
        g.put("firmware", o.firmware() != null ? o.firmware().displayName() : firmware(o.template()));
        g.put("qemu", QemuVersion.of());
        return g;
    }

    static String firmware(List<String> template) {
        if (template != null) {
            for (int i = 0; i < template.size(); i++) {
                String a = template.get(i);
                if ((a.equals("-bios") || a.equals("-pflash")) && i + 1 < template.size()) return template.get(i + 1);
                if (a.contains("OVMF") || a.contains("ovmf")) return a;
            }
        }
        return "SeaBIOS (QEMU's default)";
    }

    static List<SessionSummary> summaries(List<DriverSession> sessions, DriverChoice judged, long guestStart) {
        List<SessionSummary> out = new ArrayList<>();
        for (DriverSession s : sessions) {
            var f = s.negotiatedFeatures();
            out.add(new SessionSummary(s.label(), s.kind().name().toLowerCase(java.util.Locale.ROOT),
                    f.isPresent() ? String.format("0x%x", f.getAsLong()) : null,
                    f.isPresent() ? (VirtioFeatures.has(f.getAsLong(), VirtioFeatures.RING_PACKED) ? "packed" : "split") : null,
                    s.events().size(), (s.startMicros() - guestStart) / 1e6, judged.judges(s)));
        }
        return out;
    }

    /** Copies the console log into the report directory (after QEMU has gone); null when there is none. */
    static Path keepConsole(Path log, Path reportDir) {
        try {
            if (!Files.exists(log)) return null;
            return Files.copy(log, reportDir.resolve(CONSOLE_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            return null;  // the verdicts do not depend on it
        }
    }

    private static String seconds(long t0) {
        return String.format("%.1f", (System.nanoTime() - t0) / 1e9);
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory("pvkit-certify-");
        } catch (IOException e) {
            throw new SetupException("cannot create a temporary directory: " + e.getMessage(), e);
        }
    }

    static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
