package dev.pvkit.conformance.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pvkit.conformance.report.JsonReport;
import dev.pvkit.conformance.report.MatrixPart;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.pvkit.conformance.matrix.ShardFixtures.SPEC;
import static dev.pvkit.conformance.verdict.Outcome.FAIL;
import static dev.pvkit.conformance.verdict.Outcome.NOT_CHECKED;
import static dev.pvkit.conformance.verdict.Outcome.NOT_EXERCISED;
import static dev.pvkit.conformance.verdict.Outcome.NOT_OBSERVABLE;
import static dev.pvkit.conformance.verdict.Outcome.PASS;
import static dev.pvkit.conformance.verdict.Outcome.WAIVED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Merging shards' reports, without QEMU: the merged verdict per requirement over the cells, evidence that keeps its
 * cell, and every planned cell present as ran, could not run or missing; bad input refused in one line.
 */
class MatrixMergeTest {
    @TempDir
    Path dir;

    /** Requirement ids as data: one per outcome a cell can give. */
    private static final String INIT = "DRV-INIT-001";
    private static final String CFG = "DRV-CFG-001";
    private static final String CFG4 = "DRV-CFG-004";
    private static final String PACKED = "DRV-PACKED-001";
    private static final String SPLIT = "DRV-SPLIT-009";
    private static final String NOTIFY = "DRV-NOTIFY-002";
    private static final String FEAT = "DRV-FEAT-007";

    private final MatrixMerge merge = new MatrixMerge(SPEC);

    @Test
    void aFailureInAnyCellFailsTheRequirementAndItsEvidenceNamesTheCell() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification linux = ShardFixtures.cell(outcomes(INIT, PASS, CFG, PASS, CFG4, WAIVED, PACKED, NOT_EXERCISED, SPLIT, NOT_EXERCISED, NOTIFY, NOT_OBSERVABLE, FEAT, NOT_CHECKED));
        Certification seabios = ShardFixtures.cell(outcomes(INIT, PASS, CFG, FAIL, CFG4, FAIL, PACKED, NOT_EXERCISED, SPLIT, PASS, NOTIFY, NOT_OBSERVABLE, FEAT, NOT_CHECKED));
        List<Path> dirs = List.of(
                ShardFixtures.shard(dir.resolve("s1"), m, new Shard(1, 2), Map.of(1, linux, 3, seabios), Map.of()),
                ShardFixtures.shard(dir.resolve("s2"), m, new Shard(2, 2), Map.of(2, linux, 4, seabios), Map.of()));

        MatrixMerge.Merged merged = merge.merge(dirs, dir.resolve("out"));

        assertThat(merged.failed()).isTrue();
        assertThat(merged.matrix().summary()).isEqualTo("4 cells: 2 passed, 2 failed");
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (RequirementVerdict v : merged.certification().verdicts()) outcomes.put(v.requirement().id(), v.outcome().label());
        assertThat(outcomes).containsEntry(CFG, "fail")              // failed in the SeaBIOS cells only
                .containsEntry(CFG4, "fail")                          // waived in one cell, failed in another: the failure wins
                .containsEntry(SPLIT, "pass")                         // kept where exercised
                .containsEntry(PACKED, "not exercised")               // nowhere exercised
                .containsEntry(NOTIFY, "not observable").containsEntry(FEAT, "not checked").containsEntry(INIT, "pass");
        RequirementVerdict cfg = verdict(merged, CFG);
        assertThat(cfg.sessions()).extracting(s -> s.session() + " " + s.outcome().label())
                .containsExactly("cell 1 pass", "cell 2 pass", "cell 3 fail", "cell 4 fail");
        assertThat(cfg.evidence()).extracting(e -> e.session())
                .containsExactly("cell 3 (seabios · blk-quick · seed 1), session 1 (firmware)", "cell 4 (seabios · blk-quick · seed 2), session 1 (firmware)");
        assertThat(merged.certification().sessions()).extracting(s -> s.label()).containsExactly("cell 1", "cell 2", "cell 3", "cell 4");
        assertThat(merged.certification().verdicts()).extracting(v -> v.requirement().id())
                .as("catalog order").isSortedAccordingTo(java.util.Comparator.comparingInt(id -> SPEC.requirements().indexOf(SPEC.requirement(id).orElseThrow())));
    }

    @Test
    void aWaivedFailureStaysWaivedWhereNoCellFailedItUnwaived() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification waived = ShardFixtures.cell(outcomes(CFG, WAIVED, INIT, NOT_EXERCISED));
        Certification kept = ShardFixtures.cell(outcomes(CFG, PASS, INIT, NOT_EXERCISED));
        Path s = ShardFixtures.shard(dir.resolve("s"), m, Shard.WHOLE, Map.of(1, kept, 2, kept, 3, waived, 4, kept), Map.of());

        MatrixMerge.Merged merged = merge.merge(List.of(s), dir.resolve("out"));

        assertThat(merged.failed()).as("a waived failure fails nothing").isFalse();
        RequirementVerdict cfg = verdict(merged, CFG);
        assertThat(cfg.outcome()).isEqualTo(WAIVED);
        assertThat(cfg.waiver().owner()).isEqualTo("firmware-team");
        assertThat(verdict(merged, INIT).outcome()).isEqualTo(NOT_EXERCISED);
        assertThat(merged.certification().terms().waivers()).extracting(u -> u.waiver().id() + " " + u.status().label()).containsExactly(CFG + " waived");
    }

    @Test
    void missingShardsUnrunnableCellsAndAShardThatStoppedAreShownAndFailTheMerge() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO + "\n");
        Certification pass = ShardFixtures.cell(outcomes(INIT, PASS));
        Matrix bigger = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO.replace("seeds: [1, 2]", "seeds: [1, 2, 3]"));
        // 6 cells in 3 shards: shard 1 ran both its cells, shard 2 could not run one and stopped before the other,
        // shard 3's folder was never collected.
        Path s1 = ShardFixtures.shard(dir.resolve("s1"), bigger, new Shard(1, 3), Map.of(1, pass, 4, pass), Map.of());
        Path s2 = ShardFixtures.shard(dir.resolve("s2"), bigger, new Shard(2, 3), Map.of(), Map.of(2, "kernel /x is not a readable file"));
        Path s3 = dir.resolve("s3-not-collected");

        MatrixMerge.Merged merged = merge.merge(List.of(s1, s2, s3), dir.resolve("out"));

        assertThat(merged.failed()).isTrue();
        assertThat(merged.matrix().cells()).extracting(c -> c.label() + " " + c.verdict() + " " + c.detail()).containsExactly(
                "cell 1 pass null",
                "cell 2 could not run kernel /x is not a readable file",
                "cell 3 missing shard 3/3 is not among the merged reports",
                "cell 4 pass null",
                "cell 5 missing shard 2/3 stopped before this cell finished",
                "cell 6 missing shard 3/3 is not among the merged reports");
        assertThat(merged.matrix().summary()).isEqualTo("6 cells: 2 passed, 0 failed, 1 could not run, 3 missing");
        assertThat(merged.matrix().notes()).singleElement().asString().startsWith(s3 + ": no such folder");

        var files = merge.write(merged, dir.resolve("out"));
        JsonNode json = new ObjectMapper().readTree(files.json().toFile());
        assertThat(json.get("result").asText()).as("every verdict passed, but cells are missing").isEqualTo("fail");
        assertThat(json.at("/matrix/cells")).hasSize(6);
        assertThat(json.at("/matrix/cells/2/status").asText()).isEqualTo("missing");
        assertThat(json.at("/matrix/cells/0/report").asText()).isEqualTo("../s1/cell-1");
        String junit = Files.readString(files.junit());
        assertThat(junit).contains("<testsuite name=\"Matrix cells\" tests=\"6\" failures=\"0\" errors=\"4\"")
                .contains("<error message=\"could not run: kernel /x is not a readable file\"")
                .contains("<error message=\"missing: shard 3/3 is not among the merged reports\"");
        String html = Files.readString(files.html());
        assertThat(html).contains("data-result=\"fail\"", "id=\"cell-3\" data-cell-status=\"missing\"",
                "id=\"cell-2\" data-cell-status=\"could-not-run\"", "id=\"cell-1\" data-cell-status=\"pass\"", "no such folder");
    }

    @Test
    void everyCellPassingPassesTheMerge() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification pass = ShardFixtures.cell(outcomes(INIT, PASS, PACKED, NOT_EXERCISED));
        List<Path> dirs = List.of(
                ShardFixtures.shard(dir.resolve("a"), m, new Shard(1, 3), Map.of(1, pass, 4, pass), Map.of()),
                ShardFixtures.shard(dir.resolve("b"), m, new Shard(2, 3), Map.of(2, pass), Map.of()),
                ShardFixtures.shard(dir.resolve("c"), m, new Shard(3, 3), Map.of(3, pass), Map.of()));
        MatrixMerge.Merged merged = merge.merge(dirs, dir.resolve("out"));
        assertThat(merged.failed()).isFalse();
        assertThat(merged.matrix().cells()).allMatch(c -> c.status() == MatrixPart.Status.RAN);
        var files = merge.write(merged, dir.resolve("out"));
        assertThat(new ObjectMapper().readTree(files.json().toFile()).get("result").asText()).isEqualTo("pass");
    }

    @Test
    void theMergedReportMatchesTheReportSchema() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification c = ShardFixtures.cell(outcomes(INIT, PASS, CFG, FAIL, CFG4, WAIVED, NOTIFY, NOT_OBSERVABLE));
        Path s = ShardFixtures.shard(dir.resolve("s"), m, new Shard(1, 2), Map.of(1, c, 3, c), Map.of());
        MatrixMerge.Merged merged = merge.merge(List.of(s, dir.resolve("missing")), dir.resolve("out"));
        String json = new JsonReport(SPEC).tree(merged.certification(), merged.matrix()).toString();
        String schema;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(JsonReport.SCHEMA_RESOURCE)) {
            schema = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema, InputFormat.JSON)
                .validate(json, InputFormat.JSON)).isEmpty();
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Matrix m = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO);
        Certification c = ShardFixtures.cell(outcomes(INIT, PASS));
        Path a = ShardFixtures.shard(dir.resolve("a"), m, new Shard(1, 2), Map.of(1, c, 3, c), Map.of());
        Path again = ShardFixtures.shard(dir.resolve("again"), m, new Shard(1, 2), Map.of(1, c, 3, c), Map.of());
        Matrix other = ShardFixtures.matrix(dir, ShardFixtures.TWO_BY_TWO.replace("seeds: [1, 2]", "seeds: [7, 8]"));
        Path foreign = ShardFixtures.shard(dir.resolve("foreign"), other, new Shard(2, 2), Map.of(2, c, 4, c), Map.of());
        Path cutOtherwise = ShardFixtures.shard(dir.resolve("cut"), m, new Shard(2, 4), Map.of(2, c), Map.of());
        Path empty = Files.createDirectories(dir.resolve("empty"));

        assertThatThrownBy(() -> merge.merge(List.of(empty, dir.resolve("nope")), dir.resolve("out")))
                .isInstanceOf(InvalidMatrixException.class).hasMessageStartingWith("none of the 2 folders holds a shard's reports (shard.json)");
        assertThatThrownBy(() -> merge.merge(List.of(a, again), dir.resolve("out")))
                .hasMessage(a + " and " + again + " are both shard 1/2");
        assertThatThrownBy(() -> merge.merge(List.of(a, foreign), dir.resolve("out")))
                .hasMessageContaining(foreign + " is shard 2/2 of matrix " + other.fingerprint()).hasMessageContaining("shards of one matrix, cut one way, merge");
        assertThatThrownBy(() -> merge.merge(List.of(a, cutOtherwise), dir.resolve("out"))).hasMessageContaining("is shard 2/4");
        Files.writeString(empty.resolve(ShardManifest.FILE), "{ not json");
        assertThatThrownBy(() -> merge.merge(List.of(empty), dir.resolve("out")))
                .hasMessageStartingWith(empty.resolve(ShardManifest.FILE) + ": not a shard manifest: not JSON");
        for (var call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(() -> merge.merge(List.of(a, again), dir.resolve("o")))) {
            assertThatThrownBy(call).satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
    }

    private static RequirementVerdict verdict(MatrixMerge.Merged m, String id) {
        return m.certification().verdicts().stream().filter(v -> v.requirement().id().equals(id)).findFirst().orElseThrow();
    }

    private static Map<String, Outcome> outcomes(Object... idsAndOutcomes) {
        Map<String, Outcome> m = new LinkedHashMap<>();
        for (int i = 0; i < idsAndOutcomes.length; i += 2) m.put((String) idsAndOutcomes[i], (Outcome) idsAndOutcomes[i + 1]);
        return m;
    }
}
