package dev.pvkit.conformance.profile;

import dev.pvkit.conformance.verdict.FailOn;

import java.util.Arrays;
import java.util.Optional;

/**
 * Which requirements a profile requires a driver to keep. MUST and MUST NOT always; SHOULD and SHOULD NOT only when
 * the profile says so. Every requirement in scope is judged and reported either way: the set decides which failures
 * fail the run.
 */
public enum RequirementSet {
    /** MUST and MUST NOT: a failed SHOULD is a warning. */
    MUST("must", FailOn.MUST),
    /** SHOULD and SHOULD NOT too: a failed SHOULD fails the run, as with {@code --fail-on should}. */
    MUST_AND_SHOULD("must+should", FailOn.SHOULD);

    private final String key;
    private final FailOn failOn;

    RequirementSet(String key, FailOn failOn) {
        this.key = key;
        this.failOn = failOn;
    }

    /** How a profile file writes it. */
    public String key() {
        return key;
    }

    /** Which failures fail a run certified under this set (unless {@code --fail-on} says otherwise). */
    public FailOn failOn() {
        return failOn;
    }

    static Optional<RequirementSet> of(String key) {
        return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
    }
}
