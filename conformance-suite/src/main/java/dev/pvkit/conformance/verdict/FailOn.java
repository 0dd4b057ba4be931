package dev.pvkit.conformance.verdict;

/** Which failures fail a run. */
public enum FailOn {
    /** MUST and MUST NOT violations only; SHOULD-level failures are warnings. */
    MUST,
    /** SHOULD and SHOULD NOT failures too. */
    SHOULD
}
