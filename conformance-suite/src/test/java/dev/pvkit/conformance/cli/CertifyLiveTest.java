package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pvkit.conformance.live.LiveSupport;
import dev.pvkit.conformance.report.JsonReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The main job as a user runs it: {@code pvkit certify} on the default guest — Debian's Linux 6.1 kernel and its
 * real virtio-blk driver, SeaBIOS before it — under TCG, within the 3 minutes the run is allowed (its own time
 * limit ends it otherwise, and an unfinished workload fails the run). It ends with a verdict, exit code 0 for the
 * real driver, and three reports: a report.json valid against the shipped schema, a junit.xml with one test case
 * per requirement, and report.html.
 */
class CertifyLiveTest {

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 7, unit = TimeUnit.MINUTES) // backstop; the run's own limit is 300 s
    void certifiesTheDefaultGuestsDriverAndWritesThreeReports() throws Exception {
        Path reports = dir.resolve("reports");
        // The quick profile: its two feature sets (split and packed rings) give a second boot; a few tries of each.
        CliTest.Run r = CliTest.run("certify", "--accel", "tcg", "--timeout", "300s", "--profile", "blk-quick", "--tries", "6",
                "--seed", "42", "--report", reports.toString());
        System.out.println(r.out() + r.err());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("pvkit: booting the guest", "pvkit: workload: rebind the driver",
                "pvkit: explore: booting again for feature set packed", "generated device behaviour: 6 of 6 tries, seed 42: PASS",
                "verdict: PASS", "report: " + reports.resolve("report.html").toAbsolutePath());

        String json = Files.readString(reports.resolve("report.json"));
        String schema;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(JsonReport.SCHEMA_RESOURCE)) {
            schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema, InputFormat.JSON)
                .validate(json, InputFormat.JSON)).as("schema errors").isEmpty();
        JsonNode report = new ObjectMapper().readTree(json);
        assertThat(report.get("result").asText()).isEqualTo("pass");

        // SeaBIOS probes the disk, then Linux drives it three times: at boot, after the rebind, after the reboot
        // (SeaBIOS again in between); then the packed feature set's boot: SeaBIOS, and Linux on packed rings. Only the
        // OS driver's sessions are judged. The packed boot offers configuration values drawn from seed 42: 4 KiB
        // logical blocks, which SeaBIOS 1.16 does not drive (it reads the configuration and sets up no ring).
        List<String> kinds = new ArrayList<>();
        report.get("sessions").forEach(s -> kinds.add(s.get("kind").asText() + (s.get("judged").asBoolean() ? "" : " (not judged)")
                + (s.get("ring").isNull() ? "" : " " + s.get("ring").asText())));
        assertThat(kinds).containsExactly("firmware (not judged) split", "os split", "os split", "firmware (not judged) split",
                "os split", "firmware (not judged)", "os packed");
        assertThat(report.get("device").get("configuration in packed").asText()).startsWith("blk_size 4096,");

        // The generated tries: three on each boot, every one passed, and what they covered is counted.
        JsonNode x = report.get("exploration");
        assertThat(x.get("tries").asInt()).isEqualTo(6);
        assertThat(x.get("seed").asLong()).isEqualTo(42);
        assertThat(x.get("result").asText()).isEqualTo("pass");
        assertThat(x.get("statistics").get("feature set").get("split").asInt()).isEqualTo(3);
        assertThat(x.get("statistics").get("feature set").get("packed").asInt()).isEqualTo(3);
        assertThat(x.get("statistics").get("completion order")).isNotEmpty();

        // The real driver put many rules to the test, through every source: rings, vhost-user, the register trace.
        int passed = report.get("counts").get("pass").asInt();
        assertThat(passed).isGreaterThan(40);
        for (String id : List.of("DRV-SPLIT-006", "DRV-SPLIT-001", "DRV-INIT-003", "DRV-BLK-017", "DRV-BLK-015", "DRV-PACKED-001")) {
            assertThat(outcome(report, id)).as(id).isEqualTo("pass");
        }

        var junit = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(reports.resolve("junit.xml").toFile());
        // One case per requirement, and one for the generated tries.
        assertThat(junit.getElementsByTagName("testcase").getLength()).isEqualTo(report.get("total").asInt() + 1);
        assertThat(Files.readString(reports.resolve("report.html"))).contains("data-result=\"pass\"", "data-exploration-result=\"pass\"");
        LiveSupport.assertNoQemuLeft("pvkit-certify-");
    }

    private static String outcome(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n.get("outcome").asText();
        return null;
    }
}
