package dev.pvkit.examples.faultydriver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.cli.Pvkit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Certifies the faulty-driver kernels (built by make into target/kernels before the tests) with {@code pvkit certify},
 * in-process, as a user runs it: the clean driver must pass with no failure and no warning, each fault must fail
 * exactly the requirement it names, with evidence, and nothing else. Each run is one TCG boot of a few seconds.
 *
 * <p>The command line is README.md's: {@code --kernel FILE --passive}. Without an initramfs PVKit boots the kernel
 * bare under SeaBIOS, which keeps off the disk ({@code -boot strict=on}), so every session is the kernel's driver's.
 */
class FaultyDriverCertifyTest {
    /** Tries of generated device behaviour for the clean driver: a boot each, well under a second under TCG. */
    private static final int CLEAN_TRIES = 20;
    private static final Path KERNELS = Path.of(System.getProperty("faultydriver.kernels", "target/kernels"));

    /** A variant of the driver: its kernel, the requirement its fault breaks, and the guest's own verdict. */
    enum Variant {
        CLEAN(null, null, 0),
        NO_READBACK("no-readback", "DRV-INIT-008", 0),
        UNOFFERED_FEATURE("unoffered-feature", "DRV-FEAT-001", 0),
        NOTIFY_EARLY("notify-early", "DRV-INIT-014", 0),
        /** The device stops the queue at the bad chain; the driver times out on its write and exits with code 6. */
        STATUS_BEFORE_DATA("status-before-data", "DRV-SPLIT-006", 6),
        FLUSH_SECTOR("flush-sector", "DRV-BLK-015", 0);

        final String fault;
        final String breaks;
        final int guestCode;

        Variant(String fault, String breaks, int guestCode) {
            this.fault = fault;
            this.breaks = breaks;
            this.guestCode = guestCode;
        }

        Path kernel() {
            return KERNELS.resolve(fault == null ? "blk-driver.elf" : "blk-driver-" + fault + ".elf");
        }

        /**
         * Warnings PVKit gives beside the fault's failure that the driver does not deserve: none. (A ring that broke
         * once made the back-end's NEEDS_RESET announcement read as a capacity change, DRV-BLK-012; it no longer does.)
         */
        Set<String> falseWarnings() {
            return Set.of();
        }
    }

    @TempDir
    Path dir;

    /** The kernel as this test boots it: a copy under the test's own directory, which marks its QEMU processes. */
    private Path kernel;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Variant.class)
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // backstop; each run's own limit is --timeout 60s
    void certify(Variant v) throws Exception {
        assertThat(v.kernel()).as("built by make in generate-resources").isRegularFile();
        kernel = Files.copy(v.kernel(), dir.resolve(v.kernel().getFileName()));
        Path reports = dir.resolve("reports");

        // The clean driver also meets generated device behaviour (reordered and held completions, injected I/O
        // errors, capacity changes, spurious notifications): its own check, reported through the exit device, must
        // hold on every try. A fault's run is the observed boot alone.
        List<String> tries = v.breaks == null ? List.of("--tries", String.valueOf(CLEAN_TRIES), "--seed", "11") : List.of("--tries", "0");
        List<String> args = new ArrayList<>(List.of("certify", "--kernel", kernel.toString(), "--passive",
                "--timeout", "60s", "--report", reports.toString()));
        args.addAll(tries);
        Run r = pvkit(args.toArray(String[]::new));
        System.out.println(r.out + r.err);

        JsonNode report = new ObjectMapper().readTree(reports.resolve("report.json").toFile());
        String console = Files.readString(reports.resolve("console.log"));
        assertThat(console).as("the kernel says which build it is").contains(v.fault == null ? "clean build" : "FAULT=" + v.fault);
        // One driver session per boot, the kernel's (SeaBIOS leaves the disk alone), each the OS's and judged.
        assertThat(report.get("sessions")).as("sessions").hasSize(v.breaks == null ? 1 + CLEAN_TRIES : 1)
                .allMatch(s -> s.get("judged").asBoolean() && s.get("kind").asText().equals("os"));
        assertThat(report.get("guest").get("driver judged").asText()).isEqualTo("os (default for this guest)");
        assertThat(report.get("guest").get("guest's own result").asText())
                .isEqualTo(v.guestCode == 0 ? "passed (it wrote 0 to the exit device)" : "FAILED: it wrote code " + v.guestCode + " to the exit device");

        assertThat(ids(report, "fail")).as("failed requirements\n" + r.out)
                .containsExactlyElementsOf(v.breaks == null ? List.of() : List.of(v.breaks));
        assertThat(ids(report, "warning")).as("warnings\n" + r.out).containsExactlyInAnyOrderElementsOf(v.falseWarnings());
        if (v.breaks == null) {
            assertThat(r.exit).as(r.out + r.err).isZero();
            assertThat(r.out).contains("verdict: PASS (0 violations, 0 warnings, 0 waived)");
            assertThat(console).contains("read back what was written: PASS");
            assertThat(report.get("counts").get("pass").asInt()).as("requirements exercised and kept").isGreaterThan(40);
            JsonNode x = report.get("exploration");
            assertThat(x.get("result").asText()).as("generated device behaviour\n" + r.out).isEqualTo("pass");
            assertThat(r.out).contains(CLEAN_TRIES + " of " + CLEAN_TRIES + " tries");
        } else {
            assertThat(r.exit).as(r.out + r.err).isEqualTo(1);
            assertThat(r.out).contains("FAIL " + v.breaks + " [MUST");
            JsonNode evidence = requirement(report, v.breaks).get("evidence");
            assertThat(evidence).as(v.breaks + " evidence").hasSize(1);
            assertThat(evidence.get(0).get("offending")).as("the offending steps").isNotEmpty();
        }
        assertNoQemuLeft();
    }

    /**
     * A fault only generated device behaviour shows: {@code torn-capacity} reads the 64-bit capacity in halves without
     * config_generation, but only after the device announced a configuration change, which a plain device never does.
     * The plain boot passes; the search boots the kernel again per try, the checks judge each try (oracle 1), and the
     * try whose device changed capacity fails DRV-CFG-001; it shrinks to the capacity change alone, and its printed
     * replay command, run as printed, fails the same way.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aFaultOnlyGeneratedBehaviourShowsIsFoundShrunkAndReplayed() throws Exception {
        kernel = Files.copy(KERNELS.resolve("blk-driver-torn-capacity.elf"), dir.resolve("blk-driver-torn-capacity.elf"));
        Run plain = pvkit("certify", "--kernel", kernel.toString(), "--passive", "--tries", "0", "--timeout", "60s",
                "--report", dir.resolve("plain").toString());
        assertThat(plain.exit).as("the plain device never changes capacity\n" + plain.out + plain.err).isZero();

        Path reports = dir.resolve("search");
        Run search = pvkit("certify", "--kernel", kernel.toString(), "--passive", "--tries", "40", "--seed", "3",
                "--timeout", "180s", "--report", reports.toString());
        System.out.println(search.out + search.err);
        assertThat(search.exit).as(search.out + search.err).isEqualTo(1);
        JsonNode report = new ObjectMapper().readTree(reports.resolve("report.json").toFile());
        assertThat(ids(report, "fail")).containsExactly("DRV-CFG-001");
        JsonNode failure = report.get("exploration").get("failure");
        assertThat(failure.get("kind").asText()).isEqualTo("DRV-CFG-001");
        JsonNode minimal = failure.get("minimal").isTextual() ? new ObjectMapper().readTree(failure.get("minimal").asText()) : failure.get("minimal");
        assertThat(minimal.at("/behaviour/capacityChange").asInt()).as("shrunk to a capacity change: %s", minimal).isGreaterThanOrEqualTo(0);
        assertThat(minimal.at("/behaviour/failures").size()).as("and nothing else: %s", minimal).isZero();
        assertThat(minimal.at("/behaviour/spurious").asBoolean()).isFalse();

        // The replay command as printed: the kernel and --passive come with it.
        String replay = failure.get("replay").asText();
        assertThat(replay).startsWith("pvkit certify --kernel " + kernel.toAbsolutePath() + " --passive --replay ");
        List<String> args = new ArrayList<>(List.of(replay.substring("pvkit ".length()).split(" ")));
        args.addAll(List.of("--timeout", "60s", "--report", dir.resolve("replay").toString()));
        Run again = pvkit(args.toArray(String[]::new));
        assertThat(again.exit).as(again.out + again.err).isEqualTo(1);
        JsonNode replayed = new ObjectMapper().readTree(dir.resolve("replay").resolve("report.json").toFile()).get("exploration");
        assertThat(replayed.get("replayed").asBoolean()).isTrue();
        assertThat(replayed.get("failure").get("kind").asText()).isEqualTo("DRV-CFG-001");
        assertNoQemuLeft();
    }

    /** Requirement ids whose verdict label is {@code label}: "fail" for a counted failure, "warning" for a SHOULD's. */
    private static Set<String> ids(JsonNode report, String label) {
        Set<String> out = new TreeSet<>();
        for (JsonNode n : report.get("requirements")) if (n.get("label").asText().equals(label)) out.add(n.get("id").asText());
        return out;
    }

    private static JsonNode requirement(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n;
        throw new AssertionError("no requirement " + id + " in the report");
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run pvkit(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Pvkit.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** PVKit ends its QEMU when the run ends; one still running with this test's kernel is a leak. */
    private void assertNoQemuLeft() {
        assertThat(qemusOfThisTest()).as("QEMU processes of this run still alive").isEmpty();
    }

    private List<ProcessHandle> qemusOfThisTest() {
        if (kernel == null) return List.of();
        String marker = kernel.toAbsolutePath().toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system") && c.contains(marker)).orElse(false))
                .toList();
    }

    /** Whatever happened, no QEMU of this test outlives it. */
    @AfterEach
    void killLeftovers() {
        for (ProcessHandle p : qemusOfThisTest()) p.destroyForcibly();
    }
}
