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
        CliTest.Run r = CliTest.run("certify", "--device", "net", "--tries", "6", "--seed", "7", "--accel", "tcg", "--timeout", "300s",
                "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).as("generated behaviour tried after the pings").contains("generated device behaviour: 6 of 6 tries, seed 7: PASS")
                .contains("transmit completion order");
        assertThat(r.out()).contains("PVKit certification: virtio-net driver").contains("verdict: PASS")
                .containsPattern("workload: +11 of 11 small and 5 of 5 large pings answered by the responder; announce-self answered with a gratuitous ARP")
                .contains("report: " + report.resolve("report.html").toAbsolutePath());
        JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        List<String> netPassed = new ArrayList<>();
        for (JsonNode v : json.get("requirements")) {
            if (v.get("id").asText().startsWith("DRV-NET-") && v.get("outcome").asText().equals("pass")) netPassed.add(v.get("id").asText());
        }
        assertThat(netPassed).as("NET requirements Linux was put to the test on").contains("DRV-NET-009", "DRV-NET-017", "DRV-NET-060", "DRV-NET-061", "DRV-NET-084");
        assertThat(json.get("device").get("type").asText()).startsWith("virtio-net");
        LiveSupport.assertNoQemuLeft(dir.toString());
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void certifiesLinuxsDriverOnTwoQueuePairs() throws Exception {
        Path report = dir.resolve("report-mq");
        CliTest.Run r = CliTest.run("certify", "--device", "net", "--queue-pairs", "2", "--accel", "tcg", "--timeout", "300s",
                "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("verdict: PASS").containsPattern("workload: +21 of 21 small and 10 of 10 large pings answered")
                .contains("2 receive queue(s)");
        LiveSupport.assertNoQemuLeft(dir.toString());
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void certifiesIpxesVirtioNetDriverUnderSeabios() throws Exception {
        Path report = dir.resolve("report-ipxe");
        CliTest.Run r = CliTest.run("certify", "--device", "net", "--firmware", "seabios", "--timeout", "150s", "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isIn(0, 1); // the verdict is iPXE's to earn; the run itself must finish
        assertThat(r.out()).contains("PVKit certification: virtio-net driver").containsPattern("workload: +1 DHCP lease")
                .doesNotContain("did not finish its workload");
        JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        List<String> judged = new ArrayList<>();
        for (JsonNode v : json.get("requirements")) {
            if (v.get("id").asText().startsWith("DRV-NET-") && !v.get("outcome").asText().equals("not-exercised")) judged.add(v.get("id").asText());
        }
        assertThat(judged).as("iPXE's driver was put to the test on net requirements").contains("DRV-NET-061", "DRV-NET-017");
        System.out.println("[certify-ipxe] " + r.out().lines().filter(l -> l.contains("verdict")).findFirst().orElse(""));
        LiveSupport.assertNoQemuLeft(dir.toString());
    }

    /**
     * Passive: no agent commands, no workload. The default guest's kernel probes virtio_net and leaves the interface
     * down, so the run ends once the driver has left the device alone for --quiet-end, and the verdict judges what
     * the probe did.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void certifiesWhatAGuestDoesOnItsOwnPassively() throws Exception {
        Path report = dir.resolve("report-passive");
        CliTest.Run r = CliTest.run("certify", "--device", "net", "--passive", "--quiet-end", "8s", "--accel", "tcg", "--timeout", "200s",
                "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("verdict: PASS").contains("passive (no agent, no workload)")
                .contains("left the device alone for 8 s").doesNotContain("did not finish its workload");
        JsonNode json = new ObjectMapper().readTree(report.resolve("report.json").toFile());
        List<String> passed = new ArrayList<>();
        for (JsonNode v : json.get("requirements")) if (v.get("outcome").asText().equals("pass")) passed.add(v.get("id").asText());
        System.out.println("[certify-net-passive] passed: " + passed);
        assertThat(passed).as("the probe's steps were judged").isNotEmpty();
        LiveSupport.assertNoQemuLeft(dir.toString());
    }

    @Test
    void optionsANetCertificationDoesNotTakeAreRefusedInOneLine() {
        CliTest.Run disk = CliTest.run("certify", "--device", "net", "--disk", "/etc/hostname");
        assertThat(disk.exit()).isEqualTo(2);
        assertThat(disk.err()).isEqualTo("pvkit: --disk does not go with --device net yet (net certification runs the default workload,"
                + " or with --passive the guest's own, on the default guest or --kernel with --initrd, or iPXE's under --firmware seabios)\n");
        CliTest.Run bare = CliTest.run("certify", "--device", "net", "--kernel", "/etc/hostname", "--passive");
        assertThat(bare.exit()).isEqualTo(2);
        assertThat(bare.err()).startsWith("pvkit: --device net boots a kernel with its initramfs: give --initrd");
        CliTest.Run ovmf = CliTest.run("certify", "--device", "net", "--firmware", "ovmf");
        assertThat(ovmf.exit()).isEqualTo(2);
        assertThat(ovmf.err()).isEqualTo("pvkit: --device net certifies a firmware's driver under --firmware seabios only (iPXE, QEMU's network boot ROM)\n");
        CliTest.Run pairs = CliTest.run("certify", "--device", "net", "--queue-pairs", "9");
        assertThat(pairs.exit()).isEqualTo(2);
        assertThat(pairs.err()).isEqualTo("pvkit: --queue-pairs must be 1..8, got 9\n");
        CliTest.Run blkPairs = CliTest.run("certify", "--queue-pairs", "2");
        assertThat(blkPairs.exit()).isEqualTo(2);
        assertThat(blkPairs.err()).isEqualTo("pvkit: --queue-pairs goes with --device net only\n");
        CliTest.Run profile = CliTest.run("certify", "--device", "net", "--profile", "blk-quick");
        assertThat(profile.exit()).isEqualTo(2);
        assertThat(profile.err()).startsWith("pvkit: --profile does not go with --device net yet");
        CliTest.Run replay = CliTest.run("certify", "--device", "net", "--replay", "bm90IGEgY2FzZQ");
        assertThat(replay.exit()).isEqualTo(2);
        assertThat(replay.err()).startsWith("pvkit: --replay: not a PVKit case");
        CliTest.Run passiveTries = CliTest.run("certify", "--device", "net", "--passive", "--tries", "3");
        assertThat(passiveTries.exit()).isEqualTo(2);
        assertThat(passiveTries.err()).isEqualTo("pvkit: generated device behaviour (--tries, --replay) needs the agent's workload: not with --passive or --firmware\n");
        CliTest.Run other = CliTest.run("certify", "--device", "scsi");
        assertThat(other.exit()).isEqualTo(2);
        assertThat(other.err()).isEqualTo("pvkit: --device must be blk or net, got scsi\n");
    }
}
