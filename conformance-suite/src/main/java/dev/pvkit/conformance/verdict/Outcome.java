package dev.pvkit.conformance.verdict;

/** What a certification run concluded about one requirement (in one session, or overall). */
public enum Outcome {
    /** A violation was seen (for a SHOULD or SHOULD NOT: shown as a warning unless the run fails on those too). */
    FAIL("fail"),
    /** The driver was put to the test and kept the rule every time. */
    PASS("pass"),
    /** The check watched, but the driver never did what the rule is about (e.g. packed rules on split rings). */
    NOT_EXERCISED("not exercised"),
    /** PVKit's device side cannot see this rule kept or broken (the spec's observability says so). */
    NOT_OBSERVABLE("not observable"),
    /** A MAY: it grants the driver a choice, which no act of the driver can break; it gets no verdict. */
    PERMISSION("permission"),
    /** Observable, but no check of this PVKit version decides it yet (the coverage test lists these). */
    NOT_CHECKED("not checked"),
    /**
     * It failed, and a waiver that still holds accepts the failure: it does not fail the run, and every report shows
     * it with the waiver. Only an overall outcome (after waivers); per session the failure stays {@link #FAIL}.
     */
    WAIVED("waived");

    private final String label;

    Outcome(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /**
     * The overall outcome from per-session ones: a failure anywhere wins; otherwise a pass anywhere (the rule was put
     * to the test and held); otherwise not exercised.
     */
    public static Outcome combine(Outcome a, Outcome b) {
        if (a == FAIL || b == FAIL) return FAIL;
        if (a == PASS || b == PASS) return PASS;
        return NOT_EXERCISED;
    }
}
