package dev.pvkit.conformance.verdict;

import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Strength;

import java.util.List;

/**
 * The verdict on one requirement: overall, per session, and the evidence of every failure.
 *
 * @param check the name of the check that decided it, or null when none does
 */
public record RequirementVerdict(Requirement requirement, Outcome outcome, List<SessionOutcome> sessions,
                                 List<Evidence> evidence, String check) {

    public RequirementVerdict {
        sessions = List.copyOf(sessions);
        evidence = List.copyOf(evidence);
    }

    /** A SHOULD or SHOULD NOT that failed: reported as a warning unless the run fails on those too. */
    public boolean isWarning() {
        return outcome == Outcome.FAIL && !requirement.strength().isMandatory();
    }

    /** A MUST or MUST NOT that failed. */
    public boolean isViolation() {
        return outcome == Outcome.FAIL && requirement.strength().isMandatory();
    }

    /** The label a report shows: "warning" for a failed SHOULD, otherwise the outcome's. */
    public String label() {
        return isWarning() ? "warning" : outcome.label();
    }

    public boolean isShould() {
        return requirement.strength() == Strength.SHOULD || requirement.strength() == Strength.SHOULD_NOT;
    }
}
