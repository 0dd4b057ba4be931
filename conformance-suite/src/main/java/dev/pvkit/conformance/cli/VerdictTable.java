package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionSummary;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The console's view of a certification: sessions, a verdict count per area, then every failure and warning. */
final class VerdictTable {
    private final Certification c;

    VerdictTable(Certification c) {
        this.c = c;
    }

    void print(PrintWriter out) {
        out.println();
        // ASCII only: a bare system's console (POSIX locale) prints anything else as '?'.
        out.println("PVKit certification: virtio-blk driver, against PVKit spec " + c.specVersion());
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
        out.printf("  %-8s %5s %5s %5s %10s %10s %10s %10s%n", "area", "pass", "fail", "warn", "not exer.", "not obs.", "may", "unchecked");
        Map<String, int[]> areas = new LinkedHashMap<>();
        for (RequirementVerdict v : c.verdicts()) {
            int[] n = areas.computeIfAbsent(v.requirement().area(), k -> new int[7]);
            n[column(v)]++;
        }
        int[] total = new int[7];
        areas.forEach((area, n) -> {
            row(out, area, n);
            for (int i = 0; i < 7; i++) total[i] += n[i];
        });
        row(out, "total", total);
        List<RequirementVerdict> bad = c.verdicts().stream().filter(v -> v.outcome() == Outcome.FAIL).toList();
        for (RequirementVerdict v : bad) {
            out.println();
            out.printf("%s %s [%s, %s] %s%n", v.isWarning() ? "WARNING" : "FAIL", v.requirement().id(),
                    v.requirement().strength().keyword(), v.requirement().source(), v.requirement().statement());
            for (Evidence e : v.evidence()) {
                out.printf("  %s%s: %s%n", e.session(), e.queue() >= 0 ? ", queue " + e.queue() : "", e.summary());
                for (String l : e.offending()) out.println("    > " + l);
            }
        }
        out.println();
        out.printf("verdict: %s (%d violation%s, %d warning%s)%n", c.failed() ? "FAIL" : "PASS", c.violations(),
                c.violations() == 1 ? "" : "s", c.warnings(), c.warnings() == 1 ? "" : "s");
    }

    private static int column(RequirementVerdict v) {
        if (v.isWarning()) return 2;
        return switch (v.outcome()) {
            case PASS -> 0;
            case FAIL -> 1;
            case NOT_EXERCISED -> 3;
            case NOT_OBSERVABLE -> 4;
            case PERMISSION -> 5;
            case NOT_CHECKED -> 6;
        };
    }

    private static void row(PrintWriter out, String area, int[] n) {
        out.printf("  %-8s %5d %5d %5d %10d %10d %10d %10d%n", area, n[0], n[1], n[2], n[3], n[4], n[5], n[6]);
    }
}
