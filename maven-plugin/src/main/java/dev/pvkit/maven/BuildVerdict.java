package dev.pvkit.maven;

import dev.pvkit.conformance.certify.CertificationService;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.RequirementVerdict;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the build says about a certification: a short summary, and when the run fails, one line per failed
 * requirement (id, strength, statement, the sessions that broke it) and the report to read.
 */
final class BuildVerdict {
    private final CertificationService.Result result;
    private final Certification c;

    BuildVerdict(CertificationService.Result result) {
        this.result = result;
        this.c = result.certification();
    }

    /** Whether the build must fail: a counted failure, generated behaviour that broke the driver, or an unfinished run. */
    boolean fails() {
        return c.failed() || result.incomplete() != null;
    }

    List<String> summary() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("PVKit certification: %s (%d violation%s, %d warning%s, %d waived) against PVKit spec %s",
                c.failed() ? "FAIL" : "PASS", c.violations(), c.violations() == 1 ? "" : "s", c.warnings(),
                c.warnings() == 1 ? "" : "s", c.waived(), c.specVersion()));
        ExplorationSummary x = c.exploration();
        if (x != null && !x.replayed()) {
            lines.add(String.format("generated device behaviour: %d of %d tries, seed %d: %s", x.tries(), x.planned(), x.seed(),
                    x.failed() ? "FAIL" : "PASS"));
        }
        for (RequirementVerdict v : c.verdicts()) {
            if (v.isWaived()) lines.add("waived: " + v.requirement().id() + " until " + v.waiver().expires() + " (owner " + v.waiver().owner() + ")");
            else if (v.isWarning() && c.failOn() != FailOn.SHOULD) lines.add("warning: " + line(v));
        }
        Path html = report("report.html");
        if (html != null) lines.add("report: " + html.toAbsolutePath());
        return lines;
    }

    /** The build failure's message: what failed, one line each, then where the evidence is. */
    List<String> failureLines() {
        List<String> lines = new ArrayList<>();
        List<RequirementVerdict> failed = c.verdicts().stream()
                .filter(v -> v.isViolation() || v.isWarning() && c.failOn() == FailOn.SHOULD).toList();
        lines.add("PVKit certification failed: " + failed.size() + " requirement" + (failed.size() == 1 ? "" : "s") + " broken"
                + (c.expiredWaivers() > 0 ? " (" + c.expiredWaivers() + " with an expired waiver)" : ""));
        for (RequirementVerdict v : failed) lines.add("  " + line(v) + (v.hasExpiredWaiver() ? " [waiver expired " + v.waiver().expires() + "]" : ""));
        ExplorationSummary x = c.exploration();
        if (x != null && x.failed()) {
            lines.add("  generated device behaviour broke the driver: " + x.failure().kind() + ": " + x.failure().detail());
            if (x.failure().replay() != null) lines.add("    replay: " + x.failure().replay());
        }
        if (result.incomplete() != null) lines.add("  the run did not finish: " + result.incomplete());
        Path html = report("report.html");
        Path json = report("report.json");
        if (html != null) lines.add("report: " + html.toAbsolutePath() + (json != null ? " (and " + json.getFileName() + ")" : ""));
        if (result.console() != null) lines.add("guest console: " + result.console().toAbsolutePath());
        return lines;
    }

    private static String line(RequirementVerdict v) {
        Set<String> sessions = new LinkedHashSet<>();
        for (Evidence e : v.evidence()) sessions.add(e.session());
        return v.requirement().id() + " [" + v.requirement().strength().keyword() + "] " + v.requirement().statement()
                + (sessions.isEmpty() ? "" : " Seen in " + String.join(", ", sessions) + ".");
    }

    private Path report(String name) {
        return result.reports().stream().filter(p -> p.getFileName().toString().equals(name)).findFirst().orElse(null);
    }
}
