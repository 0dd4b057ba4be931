package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.live.LiveSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pvkit certify --device net} on the default guest: Linux's virtio_net driver on a PVKit switch port, the
 * network workload, a PASS with NET requirements put to the test, the three reports; and the options it does not
 * take yet refused in one line.
 */
class CertifyNetLiveTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void certifiesLinuxsVirtioNetDriver() throws Exception {
        Path report = dir.resolve("report");
        CliTest.Run r = CliTest.run("certify", "--device", "net", "--accel", "tcg", "--timeout", "300s", "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PVKit certification: virtio-net driver").contains("verdict: PASS")
                .containsPattern("workload: +10 of 10 small and 5 of 5 large pings answered by the responder")
                .contains("report: " + report.resolve("report.html").toAbsolutePath());
        JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        List<String> netPassed = new ArrayList<>();
        for (JsonNode v : json.get("requirements")) {
            if (v.get("id").asText().startsWith("DRV-NET-") && v.get("outcome").asText().equals("pass")) netPassed.add(v.get("id").asText());
        }
        assertThat(netPassed).as("NET requirements Linux was put to the test on").contains("DRV-NET-009", "DRV-NET-017", "DRV-NET-060", "DRV-NET-061");
        assertThat(json.get("device").get("type").asText()).startsWith("virtio-net");
        LiveSupport.assertNoQemuLeft(dir.toString());
    }

    @Test
    void optionsANetCertificationDoesNotTakeAreRefusedInOneLine() {
        CliTest.Run passive = CliTest.run("certify", "--device", "net", "--passive");
        assertThat(passive.exit()).isEqualTo(2);
        assertThat(passive.err()).isEqualTo("pvkit: --passive does not go with --device net yet (net certification runs the"
                + " default workload on the default guest or --kernel with --initrd)\n");
        CliTest.Run tries = CliTest.run("certify", "--device", "net", "--tries", "5");
        assertThat(tries.exit()).isEqualTo(2);
        assertThat(tries.err()).startsWith("pvkit: --tries does not go with --device net yet");
        CliTest.Run other = CliTest.run("certify", "--device", "scsi");
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).isEqualTo("pvkit: --device must be blk or net, got scsi\n");
    }
}
