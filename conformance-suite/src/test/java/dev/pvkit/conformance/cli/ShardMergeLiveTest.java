package dev.pvkit.conformance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #11's scale-out, on this machine: a matrix of 4 cells (the default guest and SeaBIOS booting the test boot
 * sector, under blk-quick, at seeds 1 and 2) run whole, then as 4 shards at the same time (one cell each), merged:
 * the merged verdicts are the whole run's, requirement by requirement and cell by cell, SeaBIOS's known failures
 * (WaiverCertifyLiveTest.SEABIOS_FAILS) fail the merged report with evidence naming their cell, and merging without
 * one shard shows its cell missing and fails. Every cell is bounded by its own {@code --timeout}; {@code --tries 0}
 * keeps each Linux cell to one boot. With {@code -Dpvkit.mergedReportCopy=DIR} the merged report and the shards it
 * links to are copied to DIR.
 */
class ShardMergeLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHARDS = 4;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 25, unit = TimeUnit.MINUTES) // backstop; every cell has its own --timeout
    void fourShardsRunAtOnceAndMergedGiveTheWholeRunsVerdicts() throws Exception {
        BootSectorDisks.disk(dir, BootSectorDisks.PROBE);
        Path matrix = Files.writeString(dir.resolve("matrix.yaml"), """
                name: shard-merge-live
                guests:
                  - name: debian
                    default: true
                  - name: seabios
                    firmware: seabios
                    disk: bootsector.img
                profiles: [blk-quick]
                seeds: [1, 2]
                """);
        long t0 = System.nanoTime();
        Path whole = dir.resolve("whole");
        CliTest.Run w = runShowing(certify(matrix, whole));
        long wholeSeconds = seconds(t0);
        assertThat(w.exit()).as("SeaBIOS's cells fail the matrix\n" + w.out() + w.err()).isEqualTo(1);
        assertThat(w.out()).contains("shard 1/1 runs cells 1, 2, 3, 4", "matrix: FAIL (4 cells: 2 passed, 2 failed)");

        long t1 = System.nanoTime();
        Path shards = dir.resolve("shards");
        List<CliTest.Run> runs = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(SHARDS);
        try {
            List<Future<CliTest.Run>> started = new ArrayList<>();
            for (int k = 1; k <= SHARDS; k++) {
                List<String> args = new ArrayList<>(certify(matrix, shards.resolve("shard-" + k)));
                args.addAll(List.of("--shard", k + "/" + SHARDS));
                started.add(pool.submit(() -> CliTest.run(args.toArray(String[]::new))));
            }
            for (Future<CliTest.Run> f : started) runs.add(f.get());
        } finally {
            pool.shutdownNow();
        }
        long shardSeconds = seconds(t1);
        for (int k = 1; k <= SHARDS; k++) {
            CliTest.Run r = runs.get(k - 1);
            System.out.println("--- shard " + k + "/" + SHARDS + "\n" + r.out() + r.err());
            assertThat(r.out()).contains("shard " + k + "/" + SHARDS + " runs cell " + k);
            // Cells 1 and 2 are the default guest, 3 and 4 SeaBIOS.
            assertThat(r.exit()).as("shard %d\n%s%s", k, r.out(), r.err()).isEqualTo(k <= 2 ? 0 : 1);
        }

        Path merged = dir.resolve("merged");
        CliTest.Run m = runShowing("report", "merge", shards.resolve("shard-1").toString(), shards.resolve("shard-2").toString(),
                shards.resolve("shard-3").toString(), shards.resolve("shard-4").toString(), "--out", merged.toString());
        assertThat(m.exit()).as(m.out() + m.err()).isEqualTo(1);
        assertThat(m.out()).contains("matrix: FAIL (4 cells: 2 passed, 2 failed)");
        System.out.printf("whole run %d s; 4 shards at once %d s%n", wholeSeconds, shardSeconds);

        JsonNode one = report(whole);
        JsonNode all = report(merged);
        assertThat(verdicts(all)).as("merged shards against the whole run, per requirement and cell").isEqualTo(verdicts(one));
        assertThat(cells(all)).isEqualTo(cells(one)).containsExactly(
                "cell 1 debian seed 1 ran pass", "cell 2 debian seed 2 ran pass",
                "cell 3 seabios seed 1 ran fail", "cell 4 seabios seed 2 ran fail");
        assertThat(all.get("result").asText()).isEqualTo("fail");
        assertThat(all.at("/matrix/shards").asInt()).isEqualTo(SHARDS);
        for (String id : WaiverCertifyLiveTest.SEABIOS_FAILS) {
            JsonNode v = requirement(all, id);
            assertThat(v.get("outcome").asText()).as(id).isEqualTo("fail");
            assertThat(v.get("evidence")).as(id + ": evidence from both SeaBIOS cells, each naming its cell").isNotEmpty()
                    .allSatisfy(e -> assertThat(e.get("session").asText()).matches("cell [34] \\(seabios · blk-quick · seed [12]\\), session .*"));
        }
        String junit = Files.readString(merged.resolve("junit.xml"));
        assertThat(junit).contains("<testsuite name=\"Matrix cells\" tests=\"4\" failures=\"2\" errors=\"0\"");
        String html = Files.readString(merged.resolve("report.html"));
        assertThat(html).contains("data-result=\"fail\"", "id=\"cell-3\" data-cell-status=\"fail\"", "id=\"cell-1\" data-cell-status=\"pass\"",
                "href=\"../shards/shard-3/cell-3/report.html\"");

        // Without shard 3's folder: its cell is missing, never dropped, and the merge fails on it.
        Path partial = dir.resolve("partial");
        CliTest.Run p = runShowing("report", "merge", shards.resolve("shard-1").toString(), shards.resolve("shard-2").toString(),
                dir.resolve("shards/shard-3-not-uploaded").toString(), shards.resolve("shard-4").toString(), "--out", partial.toString());
        assertThat(p.exit()).isEqualTo(1);
        assertThat(p.out()).contains("matrix: FAIL (4 cells: 2 passed, 1 failed, 1 missing)", "shard 3/4 is not among the merged reports");
        assertThat(cells(report(partial))).contains("cell 3 seabios seed 1 missing null");

        String copy = System.getProperty("pvkit.mergedReportCopy");
        if (copy != null) {
            copyTree(dir.resolve("merged"), Path.of(copy, "merged"));
            copyTree(shards, Path.of(copy, "shards"));
            copyTree(partial, Path.of(copy, "partial"));
        }
    }

    private List<String> certify(Path matrix, Path report) {
        return List.of("certify", "--matrix", matrix.toString(), "--tries", "0", "--accel", "tcg", "--timeout", "240s",
                "--report", report.toString());
    }

    /** Requirement id to overall outcome and the outcome in each cell. */
    private static Map<String, String> verdicts(JsonNode report) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode r : report.get("requirements")) {
            StringBuilder b = new StringBuilder(r.get("outcome").asText());
            r.get("sessions").forEach(s -> b.append(" | ").append(s.get("session").asText()).append(' ').append(s.get("outcome").asText()));
            out.put(r.get("id").asText(), b.toString());
        }
        return out;
    }

    private static List<String> cells(JsonNode report) {
        List<String> out = new ArrayList<>();
        report.at("/matrix/cells").forEach(c -> out.add(c.get("label").asText() + " " + c.get("guest").asText() + " seed "
                + c.get("seed").asText() + " " + c.get("status").asText() + " " + c.get("result").asText()));
        return out;
    }

    private static JsonNode report(Path dir) throws Exception {
        for (String f : List.of("report.json", "junit.xml", "report.html")) assertThat(dir.resolve(f)).isRegularFile();
        return JSON.readTree(dir.resolve("report.json").toFile());
    }

    private static JsonNode requirement(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n;
        throw new AssertionError("no requirement " + id + " in the report");
    }

    private static CliTest.Run runShowing(List<String> args) {
        return runShowing(args.toArray(String[]::new));
    }

    private static CliTest.Run runShowing(String... args) {
        CliTest.Run r = CliTest.run(args);
        System.out.println(r.out() + r.err());
        return r;
    }

    private static long seconds(long t0) {
        return (System.nanoTime() - t0) / 1_000_000_000L;
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
