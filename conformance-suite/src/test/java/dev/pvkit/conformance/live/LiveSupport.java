package dev.pvkit.conformance.live;

import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.GuestImageBuilder;
import dev.pvkit.conformance.guest.QemuCommandLine;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** What the live tests share: the default image (built once per JVM), clean-up checks, the net verdicts. */
public final class LiveSupport {
    private static GuestImage image;

    private LiveSupport() {
    }

    static synchronized GuestImage image() throws Exception {
        if (image == null) {
            long t0 = System.nanoTime();
            image = new GuestImageBuilder().build();
            System.out.printf("[live-blk] guest image %s ready in %d ms%n", image.kernelVersion(),
                    (System.nanoTime() - t0) / 1_000_000);
        }
        return image;
    }

    /** The default template without {@code -no-reboot}: a guest reboot resets the machine instead of ending QEMU. */
    static List<String> rebootingTemplate() {
        List<String> t = QemuCommandLine.DEFAULT_TEMPLATE.stream().filter(a -> !a.equals("-no-reboot")).toList();
        assertThat(t).hasSize(QemuCommandLine.DEFAULT_TEMPLATE.size() - 1);
        return t;
    }

    /**
     * Kills our QEMU (if any), checks that it is gone and that no QEMU is left ({@link #assertNoQemuLeft}, with our
     * temp directory {@code ours} as the marker), then closes {@code thenClose} in order (nulls skipped), even when a
     * check fails. Returns the QEMU processes still running on the machine ({@link #qemuProcesses}), one a line.
     */
    public static String killAndCheckGone(QemuInstance qemu, Path ours, AutoCloseable... thenClose) throws Exception {
        try {
            if (qemu != null) {
                qemu.close();
                assertThat(qemu.isAlive()).as("our QEMU (pid %d) is gone", qemu.pid()).isFalse();
            }
            return assertNoQemuLeft(ours.toString());
        } finally {
            for (AutoCloseable c : thenClose) {
                if (c != null) c.close();
            }
        }
    }

    /**
     * No QEMU at all is left among this JVM's descendants (tests run one at a time, each closing its own), and no
     * QEMU process on the machine has a command line containing {@code marker}: other engineers may run QEMU on the
     * same machine, so only those naming the marker count. Returns the QEMU processes found, one a line.
     */
    public static String assertNoQemuLeft(String marker) {
        assertThat(ProcessHandle.current().descendants().filter(LiveSupport::isQemu)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(p.info().command().orElse("?"))))
                .as("no QEMU left among our descendants").isEmpty();
        List<String> qemus = qemuProcesses();
        assertThat(qemus.stream().filter(l -> l.contains(marker)))
                .as("QEMU processes whose command line names %s", marker).isEmpty();
        return String.join("\n", qemus);
    }

    /**
     * Every QEMU process on the machine as "pid command line", the way {@code pgrep -a qemu} lists them, but from
     * Java: a bare Debian 12 has no procps. A process is QEMU when its executable's name (or, when that cannot be
     * read, its /proc/PID/comm) contains "qemu". Another user's process shows no command line through
     * {@link ProcessHandle.Info}; /proc/PID/cmdline, readable by all, gives it then.
     */
    static List<String> qemuProcesses() {
        return ProcessHandle.allProcesses().map(LiveSupport::describeIfQemu).flatMap(Optional::stream).toList();
    }

    private static Optional<String> describeIfQemu(ProcessHandle p) {
        ProcessHandle.Info info = p.info();
        String name = info.command().map(c -> Path.of(c).getFileName().toString())
                .orElseGet(() -> proc(p.pid(), "comm").strip());
        if (!name.contains("qemu")) return Optional.empty();
        String commandLine = info.commandLine().filter(c -> !c.isBlank())
                .orElseGet(() -> proc(p.pid(), "cmdline").replace('\0', ' ').strip());
        return Optional.of(p.pid() + " " + (commandLine.isEmpty() ? name : commandLine));
    }

    /** /proc/PID/FILE, or "" when the process has gone (or the file cannot be read). */
    private static String proc(long pid, String file) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), file)), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static boolean isQemu(ProcessHandle p) {
        return p.info().command().orElse("").contains("qemu") || p.info().commandLine().orElse("").contains("qemu");
    }

    static String seconds(long startNanos) {
        return String.format("%.1f s", (System.nanoTime() - startNanos) / 1e9);
    }

    /** PVKit's verdicts on the NET scope (and the common areas with it) for every driver session in {@code events}. */
    static List<RequirementVerdict> netVerdicts(List<Event> events) {
        return new CheckEngine(SPEC, Checks.all()).evaluate(CertificationScope.requirements(SPEC, CertificationScope.netAreas()),
                SessionSplitter.split(events), -1);
    }

    /** "ID: [evidence, ...]" for each FAIL among {@code verdicts}. */
    static List<String> failures(List<RequirementVerdict> verdicts) {
        return verdicts.stream().filter(v -> v.outcome() == Outcome.FAIL)
                .map(v -> v.requirement().id() + ": " + v.evidence().stream().map(e -> e.summary()).toList()).toList();
    }

    /** The NET requirements among {@code verdicts} that passed: kept at least once and never broken. */
    static List<String> netPassed(List<RequirementVerdict> verdicts) {
        return verdicts.stream().filter(v -> v.outcome() == Outcome.PASS && v.requirement().area().equals("NET"))
                .map(v -> v.requirement().id()).toList();
    }

    private static final PvSpec SPEC = PvSpec.load();
}
