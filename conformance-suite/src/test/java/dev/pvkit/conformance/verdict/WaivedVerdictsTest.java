package dev.pvkit.conformance.verdict;

import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Waivers applied to verdicts: held, expired (the day after the last day), unused, and what the run then says. */
class WaivedVerdictsTest {
    static final PvSpec SPEC = PvSpec.load();
    static final LocalDate LAST_DAY = LocalDate.of(2026, 6, 30);

    private static RequirementVerdict verdict(String id, Outcome o) {
        List<Evidence> ev = o == Outcome.FAIL ? List.of(new Evidence("session 1 (OS)", -1, id + " broken", List.of("x"), List.of(), null, 1.0)) : List.of();
        return new RequirementVerdict(SPEC.requirement(id).orElseThrow(), o, List.of(new SessionOutcome("session 1 (OS)", o)), ev, "SomeCheck");
    }

    private static Certification run(List<RequirementVerdict> v, FailOn failOn) {
        return new Certification("t", "2.1.0", java.util.Map.of(), java.util.Map.of(), "now", 1, List.of(), v, failOn);
    }

    private static final List<RequirementVerdict> VERDICTS = List.of(verdict("DRV-INIT-003", Outcome.FAIL),
            verdict("DRV-PCI-019", Outcome.FAIL), verdict("DRV-INIT-001", Outcome.PASS));

    @Test
    void aWaiverHoldsThroughItsLastDayAndTheFailureNoLongerFailsTheRun() {
        Waiver w = new Waiver("DRV-INIT-003", "fw", "known", LAST_DAY);
        Waiver w2 = new Waiver("DRV-PCI-019", "fw", "known", LAST_DAY);
        WaivedVerdicts out = WaivedVerdicts.apply(VERDICTS, List.of(w, w2), LAST_DAY);
        assertThat(out.verdicts()).extracting(RequirementVerdict::outcome).containsExactly(Outcome.WAIVED, Outcome.WAIVED, Outcome.PASS);
        RequirementVerdict v = out.verdicts().get(0);
        assertThat(v.waiver()).isEqualTo(w);
        assertThat(v.label()).isEqualTo("waived");
        assertThat(v.isViolation()).isFalse();
        assertThat(v.evidence()).as("the evidence stays with a waived failure").hasSize(1);
        assertThat(v.sessions().get(0).outcome()).as("per session: what was seen").isEqualTo(Outcome.FAIL);
        assertThat(out.uses()).extracting(WaiverUse::status).containsExactly(WaiverUse.Status.APPLIED, WaiverUse.Status.APPLIED);

        Certification c = run(out.verdicts(), FailOn.MUST);
        assertThat(c.failed()).isFalse();
        assertThat(c.violations()).isZero();
        assertThat(c.waived()).isEqualTo(2);
        assertThat(c.counts().get(Outcome.WAIVED)).isEqualTo(2);
        assertThat(c.counts().get(Outcome.FAIL)).isZero();
        assertThat(run(VERDICTS, FailOn.MUST).failed()).as("the same run without waivers fails").isTrue();
    }

    @Test
    void theDayAfterTheLastDayTheWaiverHasExpiredAndTheFailureCounts() {
        Waiver w = new Waiver("DRV-INIT-003", "fw", "known", LAST_DAY);
        WaivedVerdicts out = WaivedVerdicts.apply(VERDICTS, List.of(w), LAST_DAY.plusDays(1));
        RequirementVerdict v = out.verdicts().get(0);
        assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(v.hasExpiredWaiver()).isTrue();
        assertThat(v.waiver()).isEqualTo(w);
        assertThat(out.uses()).extracting(WaiverUse::status).containsExactly(WaiverUse.Status.EXPIRED);
        Certification c = run(out.verdicts(), FailOn.MUST);
        assertThat(c.failed()).isTrue();
        assertThat(c.violations()).isEqualTo(2);
        assertThat(c.expiredWaivers()).isEqualTo(1);
        assertThat(c.waived()).isZero();
    }

    @Test
    void aWaiverWhoseRequirementDidNotFailIsUnusedAndChangesNothing() {
        Waiver passed = new Waiver("DRV-INIT-001", "os", "was flaky", LAST_DAY);
        Waiver outOfScope = new Waiver("DRV-NET-001", "os", "not this device", LAST_DAY);
        WaivedVerdicts out = WaivedVerdicts.apply(VERDICTS, List.of(passed, outOfScope), LAST_DAY);
        assertThat(out.verdicts()).isEqualTo(VERDICTS);
        assertThat(out.uses()).extracting(WaiverUse::status).containsExactly(WaiverUse.Status.UNUSED, WaiverUse.Status.UNUSED);
        assertThat(out.verdicts().get(2).waiver()).isNull();
    }

    @Test
    void aWaivedShouldNoLongerFailsARunFailingOnShould() {
        RequirementVerdict should = verdict("DRV-SPLIT-007", Outcome.FAIL);
        assertThat(should.isWarning()).isTrue();
        assertThat(run(List.of(should), FailOn.SHOULD).failed()).isTrue();
        WaivedVerdicts out = WaivedVerdicts.apply(List.of(should), List.of(new Waiver("DRV-SPLIT-007", "os", "r", LAST_DAY)), LAST_DAY);
        Certification c = run(out.verdicts(), FailOn.SHOULD);
        assertThat(c.failed()).isFalse();
        assertThat(c.warnings()).isZero();
    }

    @Test
    void onlyAFailureCanBeWaived() {
        Waiver w = new Waiver("DRV-INIT-001", "os", "r", LAST_DAY);
        RequirementVerdict pass = verdict("DRV-INIT-001", Outcome.PASS);
        assertThatThrownBy(() -> pass.waivedBy(w, false)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new RequirementVerdict(pass.requirement(), Outcome.PASS, List.of(), List.of(), null, w))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RequirementVerdict(pass.requirement(), Outcome.WAIVED, List.of(), List.of(), null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
