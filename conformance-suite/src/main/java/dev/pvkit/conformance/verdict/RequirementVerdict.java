package dev.pvkit.conformance.verdict;

import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Strength;

import java.util.List;

/**
 * The verdict on one requirement: overall, per session, and the evidence of every failure.
 *
 * @param check  the name of the check that decided it, or null when none does
 * @param waiver the waiver that names this failed requirement: with outcome {@link Outcome#WAIVED} it holds, with
 *               {@link Outcome#FAIL} it had expired; null when no waiver applies (always null unless it failed)
 */
public record RequirementVerdict(Requirement requirement, Outcome outcome, List<SessionOutcome> sessions,
                                 List<Evidence> evidence, String check, Waiver waiver) {

    public RequirementVerdict {
        sessions = List.copyOf(sessions);
        evidence = List.copyOf(evidence);
        if (waiver != null && outcome != Outcome.FAIL && outcome != Outcome.WAIVED) {
            throw new IllegalArgumentException(requirement.id() + ": a waiver applies only to a failure, not to " + outcome.label());
        }
        if (outcome == Outcome.WAIVED && waiver == null) {
            throw new IllegalArgumentException(requirement.id() + ": waived without a waiver");
        }
    }

    /** A verdict no waiver touched. */
    public RequirementVerdict(Requirement requirement, Outcome outcome, List<SessionOutcome> sessions,
                              List<Evidence> evidence, String check) {
        this(requirement, outcome, sessions, evidence, check, null);
    }

    /**
     * This failed verdict with {@code w} applied: waived while the waiver holds, otherwise still a failure that
     * carries the expired waiver.
     */
    public RequirementVerdict waivedBy(Waiver w, boolean expired) {
        if (outcome != Outcome.FAIL) throw new IllegalStateException(requirement.id() + " did not fail: nothing to waive");
        return new RequirementVerdict(requirement, expired ? Outcome.FAIL : Outcome.WAIVED, sessions, evidence, check, w);
    }

    /** A failure that a waiver accepts: it fails nothing. */
    public boolean isWaived() {
        return outcome == Outcome.WAIVED;
    }

    /** A failure whose waiver had expired: it counts as the failure (or warning) it would be without one. */
    public boolean hasExpiredWaiver() {
        return outcome == Outcome.FAIL && waiver != null;
    }

    /** A SHOULD or SHOULD NOT that failed: reported as a warning unless the run fails on those too. */
    public boolean isWarning() {
        return outcome == Outcome.FAIL && !requirement.strength().isMandatory();
    }

    /** A MUST or MUST NOT that failed. */
    public boolean isViolation() {
        return outcome == Outcome.FAIL && requirement.strength().isMandatory();
    }

    /** The label a report shows: "warning" for a failed SHOULD, otherwise the outcome's ("waived" for a waived one). */
    public String label() {
        return isWarning() ? "warning" : outcome.label();
    }

    public boolean isShould() {
        return requirement.strength() == Strength.SHOULD || requirement.strength() == Strength.SHOULD_NOT;
    }
}
