package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkGeometry;
import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.BlkOp;
import dev.pvkit.conformance.explore.BlkWorkload;
import dev.pvkit.conformance.explore.CaseCodec;
import dev.pvkit.conformance.explore.Completions;
import dev.pvkit.conformance.live.LiveSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pvkit certify --replay WORD} runs exactly the case the word holds, on a guest booted with the ring features
 * the case was generated for (here packed rings, which the standard boot does not use) and the configuration values its
 * boot offered (here 4 KiB blocks, and discard and write-zeroes limits of one 4 KiB segment per request), and reports
 * it as replayed.
 * A case that broke a driver replays to the same failure: shown for every flaw of the Java model driver in {@link
 * dev.pvkit.conformance.explore.DriverFlawSearchTest}; Linux 6.1 breaks on none, so here the replayed verdict is a pass.
 */
class ReplayCertifyLiveTest {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // backstop; the run's own limit is 240 s
    void aReplayRunsTheOneCaseOnItsRingFeatures() throws Exception {
        BlkGeometry g = new BlkGeometry(4096, 1, 0, 8, 256, 8, 1, 8, 8, 1, true);
        BlkBehaviour b = new BlkBehaviour(true, 256, true, true, false, BlkOptions.DEFAULT_SEG_MAX, Completions.REVERSED, 3, 500, true, Map.of(), 1, true, 7, g);
        BlkCase c = new BlkCase(b, new BlkWorkload(List.of(new BlkOp(BlkOp.Kind.WRITE, 0, 4), new BlkOp(BlkOp.Kind.WRITE, 8, 2),
                new BlkOp(BlkOp.Kind.FLUSH, 0, 1), new BlkOp(BlkOp.Kind.WRITE_ZEROES, 1, 2), new BlkOp(BlkOp.Kind.READ, 0, 4),
                new BlkOp(BlkOp.Kind.READ, 8, 2)), 1, 2));
        Path reports = dir.resolve("reports");
        CliTest.Run r = CliTest.run("certify", "--accel", "tcg", "--timeout", "240s", "--replay", CaseCodec.encode(c),
                "--report", reports.toString());
        System.out.println(r.out() + r.err());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("pvkit: explore: replaying one case (replayed)", "replayed case: PASS", "verdict: PASS");

        JsonNode report = new ObjectMapper().readTree(Files.readString(reports.resolve("report.json")));
        JsonNode x = report.get("exploration");
        assertThat(x.get("replayed").asBoolean()).isTrue();
        assertThat(x.get("tries").asInt()).isEqualTo(1);
        assertThat(x.get("result").asText()).isEqualTo("pass");
        // The case's packed rings reached the guest: the OS sessions ran on them.
        List<String> rings = new ArrayList<>();
        report.get("sessions").forEach(s -> {
            if (s.get("kind").asText().equals("os")) rings.add(s.get("ring").asText());
        });
        assertThat(rings).isNotEmpty().containsOnly("packed");
        // The case's configuration reached the driver, which obeyed it: the standard workload's 1 MiB discard went
        // out as DISCARD requests of one segment each (DRV-BLK-020 kept, not merely not exercised).
        assertThat(report.get("device").get("configuration").asText()).isEqualTo(g.describe());
        // The case's ZEROES went out as WRITE_ZEROES requests of one segment each (DRV-BLK-022 kept), and the blocks
        // read back as zeroes (the replayed case passed its data check).
        List<String> kept = new ArrayList<>();
        report.get("requirements").forEach(v -> {
            if (v.get("outcome").asText().equals("pass")) kept.add(v.get("id").asText());
        });
        assertThat(kept).contains("DRV-BLK-020", "DRV-BLK-022");
        LiveSupport.assertNoQemuLeft("pvkit-certify-");
    }
}
