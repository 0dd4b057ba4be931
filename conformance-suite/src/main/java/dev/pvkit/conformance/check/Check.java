package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;

import java.util.Set;

/**
 * Decides some driver requirements from one driver session's events. A check names the requirement ids it decides
 * as data ({@link #decides()}); it may report only those. Reporting nothing means "not exercised": a check that is
 * unsure says nothing rather than fail, and the device's own legal choices never count against the driver.
 */
public interface Check {

    /** The ids this check decides, e.g. {@code DRV-SPLIT-009}. A build test fails on an id the spec does not have. */
    Set<String> decides();

    /** Looks at one session and reports, for each id it decides, where the rule was exercised or broken. */
    void check(DriverSession session, Findings findings);

    /** A short name for reports, e.g. "ring rules". */
    default String name() {
        return getClass().getSimpleName();
    }
}
