package dev.pvkit.conformance.profile;

import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.WaivedVerdicts;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Waiver files: every field required, ids from the spec's catalog, no id twice, expiry judged on the clock's day. */
class WaiversTest {
    static final PvSpec SPEC = PvSpec.load();

    @TempDir
    Path dir;

    static final String GOOD = """
            # known firmware failures
            - id: DRV-CFG-001
              owner: firmware-team
              reason: capacity read in halves; fixed in the next release
              expires: 2026-06-30
            - {id: DRV-INIT-003, owner: "a@b.c", reason: "one write", expires: "2026-01-31"}
            """;

    @Test
    void readsEveryEntryInFileOrder() throws IOException {
        Waivers w = Waivers.load(Files.writeString(dir.resolve("w.yaml"), GOOD), SPEC);
        assertThat(w.entries()).containsExactly(
                new Waiver("DRV-CFG-001", "firmware-team", "capacity read in halves; fixed in the next release", LocalDate.of(2026, 6, 30)),
                new Waiver("DRV-INIT-003", "a@b.c", "one write", LocalDate.of(2026, 1, 31)));
        assertThat(Waivers.load(Files.writeString(dir.resolve("none.yaml"), "[]"), SPEC).entries()).isEmpty();
    }

    @Test
    void expiryIsJudgedOnTheInjectedClocksDay() throws IOException {
        Waivers w = Waivers.load(Files.writeString(dir.resolve("w.yaml"), GOOD), SPEC);
        RequirementVerdict fail = new RequirementVerdict(SPEC.requirement("DRV-CFG-001").orElseThrow(), Outcome.FAIL,
                List.of(new SessionOutcome("s", Outcome.FAIL)), List.of(), "C");
        assertThat(w.apply(List.of(fail), clockOn("2026-06-30")).verdicts().get(0).outcome()).isEqualTo(Outcome.WAIVED);
        WaivedVerdicts after = w.apply(List.of(fail), clockOn("2026-07-01"));
        assertThat(after.verdicts().get(0).outcome()).isEqualTo(Outcome.FAIL);
        assertThat(after.uses()).extracting(WaiverUse::status).containsExactly(WaiverUse.Status.EXPIRED, WaiverUse.Status.UNUSED);
    }

    private static Clock clockOn(String day) {
        return Clock.fixed(LocalDate.parse(day).atTime(23, 59).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }

    @Test
    void anIdTheCatalogLacksIsAnErrorNamingTheIdAndTheFile() throws IOException {
        refused(GOOD.replace("DRV-INIT-003", "DRV-INIT-999"),
                "entry 2: field 'id' names DRV-INIT-999, which is not a requirement of " + SPEC.citation());
    }

    @Test
    void anIdListedTwiceIsAnError() throws IOException {
        refused(GOOD.replace("DRV-INIT-003", "DRV-CFG-001"), "entry 2: field 'id' names DRV-CFG-001 again (entry 1 waives it already)");
    }

    @Test
    void everyFieldIsRequiredAndChecked() throws IOException {
        refused(GOOD.replace("  owner: firmware-team\n", ""), "entry 1: missing required field 'owner'");
        refused(GOOD.replace("  reason: capacity read in halves; fixed in the next release\n", ""), "entry 1: missing required field 'reason'");
        refused(GOOD.replace("  expires: 2026-06-30\n", ""), "entry 1: missing required field 'expires'");
        refused(GOOD.replace("- id: DRV-CFG-001\n", "- owner2: x\n  id: DRV-CFG-001\n"), "entry 1: unknown field 'owner2' (known: id, owner, reason, expires)");
        refused(GOOD.replace("2026-06-30", "2026-02-30"), "entry 1: field 'expires' must be a date YYYY-MM-DD, got '2026-02-30'");
        refused(GOOD.replace("2026-06-30", "30.06.2026"), "entry 1: field 'expires' must be a date YYYY-MM-DD, got '30.06.2026'");
        refused(GOOD.replace("owner: firmware-team", "owner: \"  \""), "entry 1: field 'owner' is empty");
        refused("id: DRV-CFG-001\nowner: x\n", "expected a list of waivers");
        refused("- id: [oops\n", "not valid YAML at line");
        refused("", "the file is empty");
    }

    private void refused(String text, String expected) throws IOException {
        Path f = Files.writeString(dir.resolve("bad.yaml"), text);
        assertThatThrownBy(() -> Waivers.load(f, SPEC)).as(expected).isInstanceOf(InvalidFileException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith("waivers " + f + ": ").contains(expected).doesNotContain("\n"));
    }

    @Test
    void aMissingFileIsOneLine() {
        Path nope = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> Waivers.load(nope, SPEC)).hasMessage("waivers " + nope + ": no such file");
    }
}
