package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.matrix.Matrix;
import dev.pvkit.conformance.matrix.Shard;
import dev.pvkit.conformance.matrix.ShardFixtures;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code pvkit certify --matrix/--shard} and {@code pvkit report merge} as a user meets them, without QEMU: bad input
 * is one line and exit 2, before anything boots; a merge with a failed or missing cell exits 1 and says which.
 */
class MatrixCliTest {
    @TempDir
    Path dir;

    @Test
    void badMatrixInputIsOneLineAndExit2BeforeAnythingBoots() throws Exception {
        Path matrix = Files.writeString(dir.resolve("m.yaml"), ShardFixtures.TWO_BY_TWO);
        String m = matrix.toString();
        String report = dir.resolve("r").toString();
        assertUserError(CliTest.run("certify", "--matrix", dir.resolve("none.yaml").toString()),
                "pvkit: matrix " + dir.resolve("none.yaml") + ": no such file");
        assertUserError(CliTest.run("certify", "--shard", "1/2"), "pvkit: --shard needs --matrix (a shard is a part of a matrix)");
        assertUserError(CliTest.run("certify", "--matrix", m, "--shard", "5/4", "--report", report), "pvkit: --shard 5/4: K must be 1..4 (1-based), got 5");
        for (String[] given : new String[][]{{"--kernel", "bzImage"}, {"--firmware", "seabios"}, {"--profile", "blk"}, {"--seed", "3"}, {"--passive"}}) {
            String[] args = new String[given.length + 3];
            args[0] = "certify";
            args[1] = "--matrix";
            args[2] = m;
            System.arraycopy(given, 0, args, 3, given.length);
            assertUserError(CliTest.run(args), "pvkit: " + given[0] + " does not go with --matrix: the matrix file gives each cell's guest, profile and seed");
        }
        Path badProfile = Files.writeString(dir.resolve("p.yaml"), ShardFixtures.TWO_BY_TWO.replace("[blk-quick]", "[blk-quick, strict.yaml]"));
        CliTest.Run r = CliTest.run("certify", "--matrix", badProfile.toString(), "--shard", "1/8", "--report", report);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).as("every cell's terms are checked, not only the shard's")
                .startsWith("pvkit: cell 3 (debian · strict.yaml · seed 1): no profile '" + dir.resolve("strict.yaml") + "'");
        assertThat(r.err().lines()).hasSize(1);
        assertUserError(CliTest.run("certify", "--matrix", m, "--tries", "-1", "--report", report),
                "pvkit: cell 1 (debian · blk-quick · seed 1): --tries must be 0 or more, not -1");
        assertThat(dir.resolve("r")).as("nothing ran, nothing was written").doesNotExist();
    }

    @Test
    void mergeExitsOneAndNamesTheCellsThatFailedOrAreMissing() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification pass = ShardFixtures.cell(Map.of("DRV-INIT-001", Outcome.PASS));
        Certification fail = ShardFixtures.cell(Map.of("DRV-INIT-001", Outcome.PASS, "DRV-CFG-001", Outcome.FAIL));
        Path s1 = ShardFixtures.shard(dir.resolve("shard-1"), m, new Shard(1, 2), Map.of(1, pass, 3, fail), Map.of());
        Path s2 = ShardFixtures.shard(dir.resolve("shard-2"), m, new Shard(2, 2), Map.of(2, pass, 4, pass), Map.of());
        Path out = dir.resolve("merged");

        CliTest.Run all = CliTest.run("report", "merge", s1.toString(), s2.toString(), "--out", out.toString());
        assertThat(all.exit()).as(all.out() + all.err()).isEqualTo(1);
        assertThat(all.out()).contains("matrix: FAIL (4 cells: 3 passed, 1 failed)", "report: " + out.resolve("report.html"))
                .containsPattern("cell 3 +FAIL +seabios · blk-quick · seed 1 +\\(1 violation, 0 warnings, 0 waived\\)");
        for (String f : new String[]{"report.json", "junit.xml", "report.html"}) assertThat(out.resolve(f)).isRegularFile();

        CliTest.Run half = CliTest.run("report", "merge", s2.toString(), dir.resolve("shard-1-lost").toString(), "--out", out.toString());
        assertThat(half.exit()).isEqualTo(1);
        assertThat(half.out()).contains("pvkit: " + dir.resolve("shard-1-lost") + ": no such folder",
                "matrix: FAIL (4 cells: 2 passed, 0 failed, 2 missing)").containsPattern("cell 1 +MISSING +debian");

        CliTest.Run passing = CliTest.run("report", "merge", s2.toString(), "--out", dir.resolve("only-2").toString());
        assertThat(passing.exit()).as("shard 1 is planned but not given: its cells are missing").isEqualTo(1);

        assertUserError(CliTest.run("report", "merge", dir.resolve("nowhere").toString(), "--out", out.toString()),
                "pvkit: none of the 1 folders holds a shard's reports (shard.json): " + dir.resolve("nowhere")
                        + ": no such folder (a shard that did not run or whose reports were not collected)");
        assertUserError(CliTest.run("report", "merge", s1.toString(), s1.toString(), "--out", out.toString()),
                "pvkit: " + s1 + " and " + s1 + " are both shard 1/2");
        assertUserError(CliTest.run("report", "merge", s1.toString(), "--out", s1.toString()),
                "pvkit: --out " + s1 + " is one of the shard folders: its own report would be overwritten; choose another");
        CliTest.Run none = CliTest.run("report", "merge");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).startsWith("pvkit: Missing required parameter: 'DIR'");
    }

    @Test
    void aMergeOfPassingCellsExitsZero() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification pass = ShardFixtures.cell(Map.of("DRV-INIT-001", Outcome.PASS));
        Path only = ShardFixtures.shard(dir.resolve("whole"), m, Shard.WHOLE, Map.of(1, pass, 2, pass, 3, pass, 4, pass), Map.of());
        CliTest.Run r = CliTest.run("report", "merge", only.toString(), "--out", dir.resolve("merged").toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("matrix: PASS (4 cells: 4 passed, 0 failed)");
    }

    /**
     * {@code --shard auto/N} as a Kubernetes pod runs it: the index from JOB_COMPLETION_INDEX, 0-based. Shard 7 of 8 of
     * a 4-cell matrix has no cell: it runs nothing, writes its manifest and an empty summary, and passes; an index
     * beyond the shards is one line and exit 2.
     */
    @Test
    void autoTakesTheShardFromTheEnvironment() throws Exception {
        Path matrix = Files.writeString(dir.resolve("m.yaml"), ShardFixtures.TWO_BY_TWO);
        Map<String, String> real = MatrixCertify.environment;
        try {
            MatrixCertify.environment = Map.of("JOB_COMPLETION_INDEX", "6");
            Path report = dir.resolve("pod-6");
            CliTest.Run r = CliTest.run("certify", "--matrix", matrix.toString(), "--shard", "auto/8", "--report", report.toString());
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(r.out()).contains("shard 7/8 runs none of them (more shards than cells)", "matrix: PASS (0 cells: 0 passed, 0 failed)");
            assertThat(Files.readString(report.resolve("shard.json"))).contains("\"shard\" : 7", "\"shards\" : 8", "\"finished\" : true");

            MatrixCertify.environment = Map.of("JOB_COMPLETION_INDEX", "8");
            assertUserError(CliTest.run("certify", "--matrix", matrix.toString(), "--shard", "auto/8", "--report", report.toString()),
                    "pvkit: JOB_COMPLETION_INDEX=8 is not a shard of 8 (0..7, 0-based)");
        } finally {
            MatrixCertify.environment = real;
        }
    }

    /**
     * A cell that cannot be set up (here its report folder is blocked by a file, so nothing boots) is recorded as
     * could not run, with why, in the manifest and the shard's summary, and fails the shard with exit 1.
     */
    @Test
    void aCellThatCannotBeSetUpIsRecordedAndFailsTheShard() throws Exception {
        Path matrix = Files.writeString(dir.resolve("m.yaml"), "guests: [{name: seabios, firmware: seabios}]\nprofiles: [blk-quick]\n");
        Path report = Files.createDirectories(dir.resolve("r"));
        Files.writeString(report.resolve("cell-1"), "in the way");
        CliTest.Run r = CliTest.run("certify", "--matrix", matrix.toString(), "--report", report.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.out()).contains("matrix: FAIL (1 cell: 0 passed, 0 failed, 1 could not run)")
                .containsPattern("cell 1 +COULD NOT RUN +seabios · blk-quick · new seed");
        String manifest = Files.readString(report.resolve("shard.json"));
        assertThat(manifest).contains("\"status\" : \"could not run\"", "a file is in the way");
        assertThat(Files.readString(report.resolve("report.html"))).contains("id=\"cell-1\" data-cell-status=\"could-not-run\"");
    }

    private static void assertUserError(CliTest.Run r, String line) {
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(line + "\n");
    }
}
