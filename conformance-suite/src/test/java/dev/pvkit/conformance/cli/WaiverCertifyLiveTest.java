package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.live.LiveSupport;
import dev.pvkit.spec.PvSpec;
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

/**
 * Waivers and profiles end to end, through the {@code pvkit} command on a real guest: SeaBIOS's own virtio-blk
 * driver booting #5's boot sector from a read-only PVKit disk ({@code --firmware seabios}, a few seconds under TCG).
 * That driver fails four MUST-level requirements (see FirmwareCertifyLiveTest) and one SHOULD (DRV-BLK-014: it does
 * not accept VIRTIO_BLK_F_RO on the read-only disk). Waived, the MUST failures fail nothing and every report says so;
 * with expired waivers they fail the run and every report says when the waivers expired. Each run is bounded by its
 * own {@code --timeout 90s}; each test checks that no QEMU of its run is left.
 */
class WaiverCertifyLiveTest {
    /** SeaBIOS's MUST-level failures on the boot sector. */
    static final List<String> SEABIOS_FAILS = List.of("DRV-CFG-001", "DRV-CFG-004", "DRV-INIT-003", "DRV-PCI-019");
    /** SeaBIOS's SHOULD-level failure on a read-only disk. */
    static final String SEABIOS_WARNS = "DRV-BLK-014";
    /** A requirement SeaBIOS keeps: its waiver has nothing to waive. */
    static final String SEABIOS_KEEPS = "DRV-INIT-001";
    private static final Pattern RUN_DIR = Pattern.compile("pvkit-certify-[0-9]+");

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES) // backstop; the run's own limit is 90 s
    void heldWaiversTurnTheFailuresIntoWaivedAndTheRunPasses() throws Exception {
        Path w = waivers("2999-12-31", SEABIOS_FAILS, SEABIOS_KEEPS);
        Path reports = dir.resolve("held");
        CliTest.Run r = seabios(reports, "--waivers", w.toString());
        assertThat(r.exit()).as("every MUST failure waived\n" + r.out() + r.err()).isZero();
        assertThat(r.out()).contains("verdict: PASS (0 violations, 1 warning, 4 waived)", "profile:     blk",
                "  waived until 2999-12-31 (owner firmware-team: SeaBIOS 1.16, reported upstream)",
                "unused waiver: " + SEABIOS_KEEPS + " did not fail in this run");
        for (String id : SEABIOS_FAILS) assertThat(r.out()).contains("WAIVED " + id + " [");

        JsonNode json = report(reports);
        assertThat(json.get("result").asText()).isEqualTo("pass");
        assertThat(json.get("waived").asInt()).isEqualTo(SEABIOS_FAILS.size());
        assertThat(json.get("profile").get("name").asText()).isEqualTo("blk");
        assertThat(json.get("waivers").get("file").asText()).isEqualTo(w.toString());
        for (String id : SEABIOS_FAILS) {
            JsonNode v = requirement(json, id);
            assertThat(v.get("outcome").asText()).as(id).isEqualTo("waived");
            assertThat(v.get("waiver").get("status").asText()).isEqualTo("waived");
            assertThat(v.get("waiver").get("owner").asText()).isEqualTo("firmware-team");
            assertThat(v.get("evidence")).as(id + " keeps its evidence").isNotEmpty();
        }
        assertThat(requirement(json, SEABIOS_KEEPS).get("outcome").asText()).isEqualTo("pass");
        assertThat(statuses(json)).contains(SEABIOS_KEEPS + " unused", "DRV-CFG-001 waived");

        String junit = Files.readString(reports.resolve("junit.xml"));
        assertThat(junit).doesNotContain("<failure");
        for (String id : SEABIOS_FAILS) {
            assertThat(junit).containsPattern(Pattern.quote(id) + " [^\"]*\" time=\"0\">\\s*<skipped message=\"waived until 2999-12-31 by firmware-team: ");
        }
        String html = Files.readString(reports.resolve("report.html"));
        assertThat(ReportAttributes.of(html, "data-result")).isEqualTo("pass");
        assertThat(ReportAttributes.of(html, "data-count-waived")).isEqualTo("4");
        for (String id : SEABIOS_FAILS) assertThat(html).contains("id=\"req-" + id + "\" data-verdict=\"waived\"");
        assertThat(html).contains("waived until 2999-12-31 by firmware-team", "data-waiver-status=\"unused\"");
        LiveSupport.assertNoQemuLeft(runDir(json));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void expiredWaiversLeaveTheFailuresAndEveryReportSaysWhenTheyExpired() throws Exception {
        Path w = waivers("2020-01-01", SEABIOS_FAILS);
        Path reports = dir.resolve("expired");
        CliTest.Run r = seabios(reports, "--waivers", w.toString());
        assertThat(r.exit()).as("an expired waiver counts as a failure\n" + r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("verdict: FAIL (4 violations, 1 warning, 0 waived, 4 expired waivers)",
                "  waiver expired on 2020-01-01 (owner firmware-team: SeaBIOS 1.16, reported upstream): the failure counts",
                "  requirement set: must");

        JsonNode json = report(reports);
        assertThat(json.get("result").asText()).isEqualTo("fail");
        assertThat(json.get("expired_waivers").asInt()).isEqualTo(SEABIOS_FAILS.size());
        for (String id : SEABIOS_FAILS) {
            JsonNode v = requirement(json, id);
            assertThat(v.get("outcome").asText()).as(id).isEqualTo("fail");
            assertThat(v.get("waiver").get("status").asText()).isEqualTo("expired");
            assertThat(v.get("waiver").get("expires").asText()).isEqualTo("2020-01-01");
        }
        String junit = Files.readString(reports.resolve("junit.xml"));
        for (String id : SEABIOS_FAILS) {
            assertThat(junit).containsPattern(Pattern.quote(id) + " [^\"]*\" time=\"0\">\\s*<failure message=\"waiver expired on 2020-01-01 \\(firmware-team: ");
        }
        String html = Files.readString(reports.resolve("report.html"));
        assertThat(ReportAttributes.of(html, "data-result")).isEqualTo("fail");
        for (String id : SEABIOS_FAILS) assertThat(html).contains("id=\"req-" + id + "\" data-verdict=\"fail\"");
        assertThat(html).contains("waiver expired on 2020-01-01 (firmware-team", "FAIL (waiver expired)", "data-waiver-status=\"expired\"");
        LiveSupport.assertNoQemuLeft(runDir(json));
    }

    /**
     * A profile whose requirement set includes SHOULD fails the run on SeaBIOS's SHOULD failure, even with every MUST
     * failure waived; an explicit {@code --fail-on must} wins over the profile.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aMustAndShouldProfileFailsOnTheShouldUnlessFailOnSaysMust() throws Exception {
        Path w = waivers("2999-12-31", SEABIOS_FAILS);
        var v = PvSpec.load().version();
        Path profile = Files.writeString(dir.resolve("strict.yaml"), """
                name: blk-strict
                device: virtio-blk
                spec-version: "%d.%d"
                requirements: must+should
                feature-sets: [{name: split, ring: split}]
                """.formatted(v.major(), v.minor()));
        CliTest.Run strict = seabios(dir.resolve("strict"), "--profile", profile.toString(), "--waivers", w.toString());
        assertThat(strict.exit()).as(strict.out() + strict.err()).isEqualTo(1);
        JsonNode json = report(dir.resolve("strict"));
        assertThat(json.get("fail_on").asText()).isEqualTo("should");
        assertThat(json.get("profile").get("requirement set").asText()).isEqualTo("must+should");
        assertThat(json.get("profile").get("source").asText()).isEqualTo(profile.toString());
        assertThat(requirement(json, SEABIOS_WARNS).get("outcome").asText()).isEqualTo("fail");
        LiveSupport.assertNoQemuLeft(runDir(json));

        CliTest.Run lenient = seabios(dir.resolve("lenient"), "--profile", profile.toString(), "--waivers", w.toString(), "--fail-on", "must");
        assertThat(lenient.exit()).as(lenient.out() + lenient.err()).isZero();
        assertThat(report(dir.resolve("lenient")).get("fail_on").asText()).isEqualTo("must");
        LiveSupport.assertNoQemuLeft(runDir(report(dir.resolve("lenient"))));
    }

    private CliTest.Run seabios(Path reports, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("certify", "--firmware", "seabios", "--disk", bootSectorDisk().toString(),
                "--timeout", "90s", "--report", reports.toString()));
        args.addAll(List.of(more));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        System.out.println(r.out() + r.err());
        return r;
    }

    private Path waivers(String expires, List<String> ids, String... more) throws Exception {
        StringBuilder b = new StringBuilder("# SeaBIOS's known failures on the boot sector\n");
        List<String> all = new ArrayList<>(ids);
        all.addAll(List.of(more));
        for (String id : all) {
            b.append("- id: ").append(id).append("\n  owner: firmware-team\n  reason: SeaBIOS 1.16, reported upstream\n")
                    .append("  expires: ").append(expires).append('\n');
        }
        return Files.writeString(dir.resolve("waivers-" + expires + ".yaml"), b.toString());
    }

    private Path bootSectorDisk() throws Exception {
        return BootSectorDisks.disk(dir, BootSectorDisks.PROBE);
    }

    private static JsonNode report(Path reports) throws Exception {
        for (String f : List.of("report.json", "junit.xml", "report.html")) assertThat(reports.resolve(f)).isRegularFile();
        return new ObjectMapper().readTree(reports.resolve("report.json").toFile());
    }

    private static JsonNode requirement(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n;
        throw new AssertionError("no requirement " + id + " in the report");
    }

    private static List<String> statuses(JsonNode report) {
        List<String> out = new ArrayList<>();
        report.get("waivers").get("entries").forEach(e -> out.add(e.get("id").asText() + " " + e.get("status").asText()));
        return out;
    }

    /** This run's temp directory as QEMU's command line names it: the marker for the no-QEMU-left check. */
    private static String runDir(JsonNode report) {
        Matcher m = RUN_DIR.matcher(report.get("guest").get("qemu command").asText());
        assertThat(m.find()).as("the run directory in the QEMU command").isTrue();
        return m.group();
    }

    /** An attribute's first value in a report page. */
    private static final class ReportAttributes {
        static String of(String html, String name) {
            Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(html);
            assertThat(m.find()).as(name + " in the page").isTrue();
            return m.group(1);
        }
    }
}
