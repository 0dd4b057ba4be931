package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.live.LiveSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Oracle 5: a guest without the agent takes part in the generated-behaviour search through the exit device. The
 * guest is SeaBIOS booting a self-checking boot sector ({@code firmware/bootsector.asm} built with
 * {@code -DPVKIT_RESULT}): it reads 16 sectors through SeaBIOS's own virtio-blk driver and writes 0 to the exit
 * device when the reads worked, 0x11 when int 13h reported an error. Each try boots it again on a device serving
 * that try's behaviour; an injected I/O error that reaches the boot sector's reads makes it report failure, and the
 * search must find that, shrink it to one injected failure, and print a replay that fails the same way.
 */
class GuestResultSearchLiveTest {
    private static final long SEED = 5;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES) // backstop; each run's own limit is below
    void aGuestsOwnFailureCodeFailsATryWhichShrinksAndReplays() throws Exception {
        Path disk = bootSectorDisk();
        Path reports = dir.resolve("search");
        CliTest.Run r = CliTest.run("certify", "--firmware", "seabios", "--disk", disk.toString(), "--tries", "12",
                "--seed", String.valueOf(SEED), "--time-budget", "150s", "--timeout", "240s", "--report", reports.toString());
        System.out.println(r.out() + r.err());
        JsonNode report = new ObjectMapper().readTree(Files.readString(reports.resolve("report.json")));
        assertThat(report.get("guest").get("guest's own result").asText()).isEqualTo("passed (it wrote 0 to the exit device)");
        JsonNode x = report.get("exploration");
        assertThat(x.get("result").asText()).as(r.out()).isEqualTo("fail");
        JsonNode failure = x.get("failure");
        assertThat(failure.get("kind").asText()).isEqualTo("guest-exit");
        assertThat(failure.get("detail").asText()).contains("failure code 17");
        JsonNode minimal = failure.get("minimal").isTextual() ? new ObjectMapper().readTree(failure.get("minimal").asText()) : failure.get("minimal");
        assertThat(minimal.at("/behaviour/failures").size()).as("shrunk to one injected failure: %s", minimal).isEqualTo(1);
        // The printed command boots the same guest: the run's own guest options come before the case.
        String prefix = "pvkit certify --firmware seabios --disk " + disk.toAbsolutePath() + " --replay ";
        assertThat(r.out()).contains("replay: " + prefix);
        LiveSupport.assertNoQemuLeft("pvkit-certify-");

        // The printed case, replayed, fails the same way.
        assertThat(failure.get("replay").asText()).startsWith(prefix);
        String word = failure.get("replay").asText().substring(prefix.length());
        Path again = dir.resolve("replay");
        CliTest.Run replay = CliTest.run("certify", "--firmware", "seabios", "--disk", disk.toString(), "--replay", word,
                "--timeout", "120s", "--report", again.toString());
        System.out.println(replay.out() + replay.err());
        JsonNode replayed = new ObjectMapper().readTree(Files.readString(again.resolve("report.json"))).get("exploration");
        assertThat(replayed.get("replayed").asBoolean()).isTrue();
        assertThat(replayed.get("result").asText()).isEqualTo("fail");
        assertThat(replayed.get("failure").get("kind").asText()).isEqualTo("guest-exit");
        LiveSupport.assertNoQemuLeft("pvkit-certify-");
    }

    private Path bootSectorDisk() throws Exception {
        return BootSectorDisks.disk(dir, BootSectorDisks.SELF_CHECK);
    }
}
