package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.live.LiveSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue #8: {@code pvkit certify --firmware ... --passive} certifies a firmware's own virtio-blk driver, with no
 * kernel and no agent, under TCG. SeaBIOS boots the boot sector of #5's test ({@code firmware/bootsector.bin}: it reads
 * sectors through int 13h, prints a checksum on COM1 and exits QEMU through isa-debug-exit), which ends the run;
 * OVMF (Debian package ovmf), on a modern-only device, finds nothing it can boot on the same disk and stops at its
 * UEFI shell, which ends the run. Each run is bounded by its own {@code --timeout 90s}; each test checks that no
 * QEMU of its run is left.
 */
class FirmwareCertifyLiveTest {
    private static final Pattern RUN_DIR = Pattern.compile("pvkit-certify-[0-9]+");

    @TempDir
    Path dir;

    /**
     * SeaBIOS's known findings (from its recorded trace): ACKNOWLEDGE|DRIVER in one write, no status read-back
     * after the reset, the 64-bit capacity read in halves without a generation check, geometry read without
     * GEOMETRY offered.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // backstop; the run's own limit is 90 s
    void seabiosOnTheBootSector() throws Exception {
        Path reports = dir.resolve("seabios");
        CliTest.Run r = runShowing("certify", "--firmware", "seabios", "--passive", "--disk", bootSectorDisk().toString(),
                "--timeout", "90s", "--report", reports.toString());
        assertThat(r.exit()).as("a MUST violation fails the run\n" + r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("run ended: the guest ended QEMU: guest exit code 16 via isa-debug-exit", "verdict: FAIL")
                .doesNotContain("did not finish");
        JsonNode report = reportOf(reports);
        assertFirmwareSessionsJudged(report);
        assertThat(Files.readString(reports.resolve("console.log"))).as("COM1, kept next to the reports")
                .containsPattern("PVKIT-INT13 sum=[0-9A-F]{8} sectors=16");
        for (String id : List.of("DRV-INIT-003", "DRV-PCI-019", "DRV-CFG-001", "DRV-CFG-004")) assertFailsWithEvidence(report, id);
        assertThat(outcome(report, "DRV-INIT-001").get("outcome").asText()).isEqualTo("pass");
        LiveSupport.assertNoQemuLeft(runDir(report));
    }

    /** OVMF's VERSION_1 driver, judged up to its UEFI shell. */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void ovmfReachesItsShell() throws Exception {
        assumeTrue(Firmware.OVMF.unavailable() == null, "OVMF is not installed: " + Firmware.OVMF.unavailable());
        Path reports = dir.resolve("ovmf");
        CliTest.Run r = runShowing("certify", "--firmware", "ovmf", "--disk", bootSectorDisk().toString(),
                "--timeout", "90s", "--report", reports.toString());
        assertThat(r.out()).as(r.err()).contains("run ended: OVMF reached its UEFI shell").doesNotContain("did not finish");
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        JsonNode report = reportOf(reports);
        assertFirmwareSessionsJudged(report);
        assertThat(report.get("guest").get("firmware").asText()).startsWith("OVMF");
        assertThat(Files.readString(reports.resolve("console.log"))).contains("Shell> ");
        long features = Long.decode(report.get("sessions").get(0).get("features").asText());
        assertThat(features & (1L << 32)).as("VERSION_1 negotiated: the modern driver").isNotZero();
        // OVMF sets ACKNOWLEDGE, then DRIVER, each in its own write, and negotiates properly ...
        for (String id : List.of("DRV-INIT-001", "DRV-INIT-003")) {
            assertThat(outcome(report, id).get("outcome").asText()).as(id).isEqualTo("pass");
        }
        // ... but re-initializes without reading status back after the reset, and reads capacity in halves.
        for (String id : List.of("DRV-PCI-019", "DRV-CFG-001")) assertFailsWithEvidence(report, id);
        assertThat(report.get("counts").get("pass").asInt()).isGreaterThan(30);
        LiveSupport.assertNoQemuLeft(runDir(report));
    }

    private Path bootSectorDisk() throws Exception {
        return BootSectorDisks.disk(dir, BootSectorDisks.PROBE);
    }

    private static CliTest.Run runShowing(String... args) {
        CliTest.Run r = CliTest.run(args);
        System.out.println(r.out() + r.err());
        return r;
    }

    private static JsonNode reportOf(Path reports) throws Exception {
        for (String f : List.of("report.json", "junit.xml", "report.html")) assertThat(reports.resolve(f)).isRegularFile();
        return new ObjectMapper().readTree(reports.resolve("report.json").toFile());
    }

    /** Firmware only: every session is the firmware's, and judged (the default for a firmware-only boot). */
    private static void assertFirmwareSessionsJudged(JsonNode report) {
        List<String> kinds = new ArrayList<>();
        report.get("sessions").forEach(s -> kinds.add(s.get("kind").asText() + (s.get("judged").asBoolean() ? "" : " (not judged)")));
        assertThat(kinds).isNotEmpty().allMatch(k -> k.equals("firmware"));
        assertThat(report.get("guest").get("driver judged").asText()).startsWith("firmware");
        assertThat(report.get("guest").get("mode").asText()).startsWith("passive");
    }

    private static void assertFailsWithEvidence(JsonNode report, String id) {
        JsonNode r = outcome(report, id);
        assertThat(r.get("outcome").asText()).as(id).isEqualTo("fail");
        assertThat(r.get("evidence")).as(id + " evidence").isNotEmpty();
    }

    private static JsonNode outcome(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n;
        throw new AssertionError("no requirement " + id + " in the report");
    }

    /** This run's temp directory as QEMU's command line names it: the marker for the no-QEMU-left check. */
    private static String runDir(JsonNode report) {
        Matcher m = RUN_DIR.matcher(report.get("guest").get("qemu command").asText());
        assertThat(m.find()).as("the run directory in the QEMU command").isTrue();
        return m.group();
    }
}
