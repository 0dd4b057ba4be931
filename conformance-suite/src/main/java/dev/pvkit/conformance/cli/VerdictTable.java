package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's view of a certification: sessions, a verdict count per area, then every failure and warning, the
 * waived failures, and the waivers that had nothing to waive.
 */
final class VerdictTable {
    private static final int COLUMNS = 8;
    /** The profile's facts worth a console line; the rest (features, tries, budget) are in the reports. */
    private static final List<String> PROFILE_FACTS = List.of("name", "requirement set");

    private final Certification c;

    VerdictTable(Certification c) {
        this.c = c;
    }

    void print(PrintWriter out) {
        out.println();
        // ASCII only: a bare system's console (POSIX locale) prints anything else as '?'.
        String type = c.device().getOrDefault("type", "");
        String driver = type.startsWith("virtio-net") ? "virtio-net" : type.startsWith("Xen") ? "Xen PV front-end" : "virtio-blk";
        out.println("PVKit certification: " + driver + " driver, against PVKit spec " + c.specVersion());
        // The QEMU command line is in the reports; on the console it would bury the facts around it.
        c.guest().forEach((k, v) -> {
            if (!k.equals("qemu command")) out.printf("  %-12s %s%n", k + ":", v);
        });
        for (SessionSummary s : c.sessions()) {
            out.printf("  %-12s %s at %.1f s, %s ring%s, %d events%s%n", "", s.label(), s.startSeconds(),
                    s.ring() == null ? "no" : s.ring(), s.features() == null ? "" : ", features " + s.features(), s.events(),
                    s.judged() ? "" : " (not judged)");
        }
        out.println();
        c.terms().profile().forEach((k, v) -> {
            if (PROFILE_FACTS.contains(k)) out.printf("  %-12s %s%n", (k.equals("name") ? "profile" : k) + ":", v);
        });
        if (c.terms().waiverFile() != null) out.printf("  %-12s %s%n", "waivers:", c.terms().waiverFile());
        out.println();
        out.printf("  %-8s %5s %5s %5s %6s %10s %10s %10s %10s%n", "area", "pass", "fail", "warn", "waived", "not exer.", "not obs.", "may", "unchecked");
        Map<String, int[]> areas = new LinkedHashMap<>();
        for (RequirementVerdict v : c.verdicts()) {
            int[] n = areas.computeIfAbsent(v.requirement().area(), k -> new int[COLUMNS]);
            n[column(v)]++;
        }
        int[] total = new int[COLUMNS];
        areas.forEach((area, n) -> {
            row(out, area, n);
            for (int i = 0; i < COLUMNS; i++) total[i] += n[i];
        });
        row(out, "total", total);
        List<RequirementVerdict> bad = c.verdicts().stream().filter(v -> v.outcome() == Outcome.FAIL).toList();
        for (RequirementVerdict v : bad) {
            out.println();
            out.printf("%s %s [%s, %s] %s%n", v.isWarning() ? "WARNING" : "FAIL", v.requirement().id(),
                    v.requirement().strength().keyword(), v.requirement().source(), v.requirement().statement());
            if (v.hasExpiredWaiver()) out.println("  waiver expired on " + v.waiver().expires() + " (" + waiver(v.waiver()) + "): the failure counts");
            evidence(out, v);
        }
        for (RequirementVerdict v : c.verdicts().stream().filter(RequirementVerdict::isWaived).toList()) {
            out.println();
            out.printf("WAIVED %s [%s, %s] %s%n", v.requirement().id(), v.requirement().strength().keyword(),
                    v.requirement().source(), v.requirement().statement());
            out.println("  waived until " + v.waiver().expires() + " (" + waiver(v.waiver()) + ")");
            evidence(out, v);
        }
        List<WaiverUse> unused = c.terms().waivers().stream().filter(u -> u.status() == WaiverUse.Status.UNUSED).toList();
        if (!unused.isEmpty()) {
            out.println();
            for (WaiverUse u : unused) {
                out.printf("unused waiver: %s did not fail in this run (%s, expires %s)%n", u.waiver().id(), waiver(u.waiver()),
                        u.waiver().expires());
            }
        }
        out.println();
        if (c.exploration() != null) printExploration(out, c.exploration());
        out.printf("verdict: %s (%d violation%s, %d warning%s, %d waived%s%s)%n", c.failed() ? "FAIL" : "PASS", c.violations(),
                c.violations() == 1 ? "" : "s", c.warnings(), c.warnings() == 1 ? "" : "s", c.waived(),
                c.expiredWaivers() == 0 ? "" : ", " + c.expiredWaivers() + " expired waiver" + (c.expiredWaivers() == 1 ? "" : "s"),
                c.exploration() != null && c.exploration().failed() ? ", generated device behaviour broke the driver" : "");
    }

    private static void evidence(PrintWriter out, RequirementVerdict v) {
        for (Evidence e : v.evidence()) {
            out.printf("  %s%s: %s%n", e.session(), e.queue() >= 0 ? ", queue " + e.queue() : "", e.summary());
            for (String l : e.offending()) out.println("    > " + l);
        }
    }

    private static String waiver(Waiver w) {
        return "owner " + w.owner() + ": " + w.reason();
    }

    private static int column(RequirementVerdict v) {
        if (v.isWarning()) return 2;
        return switch (v.outcome()) {
            case PASS -> 0;
            case FAIL -> 1;
            case WAIVED -> 3;
            case NOT_EXERCISED -> 4;
            case NOT_OBSERVABLE -> 5;
            case PERMISSION -> 6;
            case NOT_CHECKED -> 7;
        };
    }

    private static void row(PrintWriter out, String area, int[] n) {
        out.printf("  %-8s %5d %5d %5d %6d %10d %10d %10d %10d%n", area, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]);
    }

    /** The generated-behaviour phase: tries, seed, what was covered, and a failure with its minimal case. */
    private static void printExploration(PrintWriter out, ExplorationSummary x) {
        if (x.replayed()) {
            out.println("replayed case: " + (x.failed() ? "FAIL " + x.failure().kind() + ": " + x.failure().detail() : "PASS"));
        } else {
            out.printf("generated device behaviour: %d of %d tries, seed %d: %s%n", x.tries(), x.planned(), x.seed(),
                    x.failed() ? "FAIL at try " + x.failure().tryNumber() : "PASS");
            if (x.stopped() != null) out.println("  stopped early: " + x.stopped());
            for (String line : x.statisticsLines()) out.println("  " + line);
        }
        if (x.failed()) {
            out.println("  failed: " + x.failure().kind() + ": " + x.failure().detail());
            out.println("  minimal case (" + x.failure().shrinkSteps() + " shrink steps; failed again in " + x.failure().reproduced()
                    + " of " + x.failure().confirmations() + " runs): " + x.failure().minimal());
            out.println("  replay: " + x.failure().replay());
        }
        out.println();
    }
}
