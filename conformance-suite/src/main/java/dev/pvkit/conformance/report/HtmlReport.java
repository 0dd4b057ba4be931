package dev.pvkit.conformance.report;

import com.github.mustachejava.DefaultMustacheFactory;
import com.github.mustachejava.Mustache;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.html}: the certification for people, one self-contained file (inline CSS, no scripts, nothing
 * fetched). Rendered with Mustache from {@value #TEMPLATE}. The counts carry {@code data-count-*} attributes
 * ({@code pass}, {@code fail}, {@code warning}, {@code waived}, {@code not-exercised}, {@code not-observable},
 * {@code not-checked}, {@code total}) and the result {@code data-result}, for programs that read the page.
 */
public final class HtmlReport {
    /** Class-path location of the template. */
    public static final String TEMPLATE = "dev/pvkit/conformance/report/report.html.mustache";

    private static final Mustache MUSTACHE = new DefaultMustacheFactory().compile(TEMPLATE);

    private final PvSpec spec;

    public HtmlReport(PvSpec spec) {
        this.spec = spec;
    }

    public void write(Certification c, Path file) throws IOException {
        write(c, null, file);
    }

    /** A merged report: {@code matrix} adds the table of planned cells, and the verdict grid has a column per cell. */
    public void write(Certification c, MatrixPart matrix, Path file) throws IOException {
        try (Writer w = new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8)) {
            write(c, matrix, w);
        }
    }

    public void write(Certification c, Writer w) throws IOException {
        write(c, null, w);
    }

    public void write(Certification c, MatrixPart matrix, Writer w) throws IOException {
        try {
            MUSTACHE.execute(w, context(c, matrix)).flush();
        } catch (RuntimeException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw e;
        }
    }

    /** What the template sees: plain maps, lists and strings. */
    Map<String, Object> context(Certification c) {
        return context(c, null);
    }

    Map<String, Object> context(Certification c, MatrixPart matrix) {
        Map<String, Object> m = new LinkedHashMap<>();
        boolean failed = ReportModel.failed(c, matrix);
        m.put("failed", failed);
        m.put("result", failed ? "FAIL" : "PASS");
        m.put("resultId", failed ? "fail" : "pass");
        m.put("resultWhy", matrix == null ? resultWhy(c) : matrix.summary() + "; " + resultWhy(c));
        m.put("title", matrix == null ? "PVKit driver certification" : "PVKit driver certification: a matrix, merged");
        m.put("matrix", matrix == null ? null : matrix(matrix));
        m.put("toolVersion", c.toolVersion());
        m.put("specVersion", c.specVersion());
        m.put("startedAt", c.startedAt());
        m.put("duration", String.format(Locale.ROOT, "%.1f s", c.seconds()));
        m.put("failOn", c.failOn().name());
        m.put("schema", ReportModel.SCHEMA);
        m.put("profile", facts(c.terms().profile()));
        m.put("hasProfile", !c.terms().profile().isEmpty());
        m.put("waiverFile", c.terms().waiverFile());
        List<Map<String, String>> waivers = new ArrayList<>();
        for (WaiverUse u : c.terms().waivers()) {
            waivers.add(Map.of("id", u.waiver().id(), "owner", u.waiver().owner(), "reason", u.waiver().reason(),
                    "expires", u.waiver().expires().toString(), "status", u.status().label()));
        }
        m.put("waivers", waivers);
        m.put("hasWaivers", !waivers.isEmpty() || c.terms().waiverFile() != null);
        m.put("device", facts(ReportModel.deviceFacts(c)));
        m.put("exploration", exploration(c.exploration()));
        // The QEMU command line reproduces the run but is long: shown folded under the guest's facts.
        java.util.Map<String, String> guest = new java.util.LinkedHashMap<>(ReportModel.guestFacts(c));
        String qemuCommand = guest.remove("qemu command");
        m.put("guest", facts(guest));
        m.put("qemuCommand", qemuCommand);
        String type = c.device().getOrDefault("type", "");
        String deviceType = type.startsWith("virtio-blk") ? "blk" : type.startsWith("virtio-net") ? "net" : null; // whose own bits to name
        String offered = c.device().get("offered features");
        m.put("offered", offered == null ? null : feature(offered, deviceType));

        List<Map<String, Object>> sessions = new ArrayList<>();
        for (SessionSummary s : c.sessions()) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("label", s.label());
            n.put("kind", s.kind());
            n.put("ring", s.ring() == null ? "—" : s.ring());
            n.put("events", s.events());
            n.put("judged", s.judged() ? "judged" : "not judged");
            n.put("start", String.format(Locale.ROOT, "%.3f s", s.startSeconds()));
            n.put("features", s.features() == null ? null : feature(s.features(), deviceType));
            sessions.add(n);
        }
        m.put("sessions", sessions);
        m.put("hasSessions", !sessions.isEmpty());
        m.put("sessionHeads", c.sessions().stream().map(s -> Map.of("label", s.label())).toList());

        Map<Outcome, Integer> counts = c.counts();
        List<Map<String, Object>> tiles = new ArrayList<>();
        tiles.add(tile("fail", "Failed", c.violations(), "MUST / MUST NOT violated"));
        tiles.add(tile("warning", "Warnings", c.warnings(), "SHOULD / SHOULD NOT not kept"));
        tiles.add(tile("waived", "Waived", c.waived(), "failed; accepted by a waiver"));
        tiles.add(tile("pass", "Passed", counts.get(Outcome.PASS), "put to the test and kept"));
        tiles.add(tile("not-exercised", "Not exercised", counts.get(Outcome.NOT_EXERCISED), "driver never did it"));
        tiles.add(tile("not-observable", "Not observable", counts.get(Outcome.NOT_OBSERVABLE), "device side cannot see it"));
        tiles.add(tile("not-checked", "Not checked", counts.get(Outcome.NOT_CHECKED), "no check yet"));
        tiles.add(tile("permission", "Permissions", counts.get(Outcome.PERMISSION), "MAY: nothing to break"));
        m.put("tiles", tiles);
        m.put("total", c.verdicts().size());

        List<Map<String, Object>> areas = new ArrayList<>();
        for (ReportModel.AreaGroup g : ReportModel.byArea(c, spec, true)) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("code", g.code());
            a.put("name", g.name());
            a.put("count", g.verdicts().size());
            a.put("rows", g.verdicts().stream().map(v -> row(v, c)).toList());
            long bad = g.verdicts().stream().filter(v -> v.outcome() == Outcome.FAIL).count();
            a.put("summary", areaSummary(g.verdicts()));
            a.put("hasFailures", bad > 0);
            areas.add(a);
        }
        m.put("areas", areas);

        List<Map<String, Object>> failures = new ArrayList<>();
        List<Map<String, Object>> warnings = new ArrayList<>();
        List<Map<String, Object>> waived = new ArrayList<>();
        for (RequirementVerdict v : c.verdicts()) {
            if (v.isViolation()) failures.add(evidenceBlock(v, c));
            else if (v.isWarning()) warnings.add(evidenceBlock(v, c));
            else if (v.isWaived()) waived.add(evidenceBlock(v, c));
        }
        m.put("failures", failures);
        m.put("warnings", warnings);
        m.put("waived", waived);
        m.put("hasFailures", !failures.isEmpty());
        m.put("hasWarnings", !warnings.isEmpty());
        m.put("hasFindings", !failures.isEmpty() || !warnings.isEmpty() || !waived.isEmpty());
        return m;
    }

    /** The matrix section: one row per planned cell, a missing or unrunnable cell shown as such. */
    private static Map<String, Object> matrix(MatrixPart p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("source", p.source());
        m.put("fingerprint", p.fingerprint());
        m.put("shards", p.shards());
        m.put("summary", p.summary());
        m.put("result", p.failed() ? "fail" : "pass");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (MatrixPart.Cell c : p.cells()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("number", c.number());
            r.put("label", c.label());
            r.put("guest", c.guest());
            r.put("guestDetail", c.guestDetail());
            r.put("profile", c.profile());
            r.put("seed", c.seed() == null ? "new" : c.seed().toString());
            r.put("shard", c.shard() + "/" + p.shards());
            String verdict = c.verdict();
            r.put("verdict", verdict.replace(' ', '-'));
            r.put("verdictLabel", verdict);
            boolean ran = c.status() == MatrixPart.Status.RAN;
            r.put("counts", ran ? MatrixPart.failures(c).replace(", ", " · ") : "—");
            r.put("duration", ran ? String.format(Locale.ROOT, "%.1f s", c.seconds()) : "—");
            r.put("detail", c.detail());
            r.put("cellExploration", c.exploration());
            // A relative link works wherever the merged folder is copied with the shards beside it.
            r.put("report", c.report() == null ? null : c.report() + "/" + ReportWriter.HTML);
            rows.add(r);
        }
        m.put("cells", rows);
        m.put("notes", p.notes());
        m.put("hasNotes", !p.notes().isEmpty());
        return m;
    }

    private String feature(String hex, String deviceType) {
        return hex + " — " + ReportModel.featureNames(hex, spec, deviceType);
    }

    /** The generated-behaviour section, or null (no section) when the run had none. */
    private static Map<String, Object> exploration(ExplorationSummary x) {
        if (x == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("result", x.failed() ? "fail" : "pass");
        m.put("summary", x.replayed() ? "one replayed case" : x.tries() + " of " + x.planned() + " tries, seed " + x.seed());
        m.put("stopped", x.stopped());
        List<Map<String, String>> dims = new ArrayList<>();
        x.statistics().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> dims.add(Map.of("name", e.getKey(),
                "values", ExplorationSummary.values(e.getValue(), " × "))));
        m.put("dimensions", dims);
        m.put("hasDimensions", !dims.isEmpty());
        if (x.failed()) {
            ExplorationSummary.Failure f = x.failure();
            m.put("failure", Map.of("kind", f.kind(), "detail", f.detail(), "try", f.tryNumber(), "steps", f.shrinkSteps(),
                    "minimal", f.minimal(), "replay", f.replay(), "reproduced", f.reproduced() + " of " + f.confirmations()));
        }
        return m;
    }

    private static String resultWhy(Certification c) {
        long n = c.waived();
        String waived = n == 0 ? "" : " (" + n + (n == 1 ? " failure" : " failures") + " waived)";
        long x = c.expiredWaivers();
        String expired = x == 0 ? "" : "; " + x + (x == 1 ? " waiver" : " waivers") + " expired";
        String explored = c.exploration() != null && c.exploration().failed()
                ? "; generated device behaviour broke the driver (" + c.exploration().failure().kind() + ")" : "";
        return resultWhyWithoutWaivers(c) + expired + waived + explored;
    }

    private static String resultWhyWithoutWaivers(Certification c) {
        long v = c.violations();
        long w = c.warnings();
        if (v > 0) {
            return v + (v == 1 ? " MUST-level requirement" : " MUST-level requirements") + " violated"
                    + (w > 0 ? ", " + w + (w == 1 ? " warning" : " warnings") : "");
        }
        if (w > 0) {
            return c.failed() ? w + (w == 1 ? " SHOULD-level requirement" : " SHOULD-level requirements") + " not kept (failing on SHOULD)"
                    : "no MUST-level violation; " + w + (w == 1 ? " warning" : " warnings");
        }
        return "no requirement violated";
    }

    private static String areaSummary(List<RequirementVerdict> vs) {
        long f = vs.stream().filter(RequirementVerdict::isViolation).count();
        long w = vs.stream().filter(RequirementVerdict::isWarning).count();
        long p = vs.stream().filter(v -> v.outcome() == Outcome.PASS).count();
        long x = vs.stream().filter(RequirementVerdict::isWaived).count();
        List<String> parts = new ArrayList<>();
        if (f > 0) parts.add(f + " failed");
        if (w > 0) parts.add(w + (w == 1 ? " warning" : " warnings"));
        if (x > 0) parts.add(x + " waived");
        parts.add(p + " passed");
        parts.add(vs.size() + " in all");
        return String.join(" · ", parts);
    }

    private static Map<String, Object> tile(String id, String name, long n, String hint) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("name", name);
        t.put("n", n);
        t.put("hint", hint);
        t.put("zero", n == 0);
        return t;
    }

    private static List<Map<String, String>> facts(Map<String, String> f) {
        List<Map<String, String>> out = new ArrayList<>();
        f.forEach((k, v) -> out.add(Map.of("name", k, "value", v)));
        return out;
    }

    private static Map<String, Object> row(RequirementVerdict v, Certification c) {
        Requirement r = v.requirement();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("id", r.id());
        n.put("strength", r.strength().keyword());
        n.put("mandatory", r.strength().isMandatory());
        n.put("statement", r.statement());
        n.put("source", r.source() == null ? "" : r.source().text());
        String label = ReportModel.labelId(v);
        n.put("verdict", label.replace('_', '-'));
        n.put("verdictLabel", v.label());
        n.put("hasEvidence", !v.evidence().isEmpty());
        n.put("anchor", "ev-" + r.id());
        n.put("check", v.check());
        // The spec's own reason where it has one; the general meaning of "not exercised" is in the legend.
        boolean specific = v.outcome() == Outcome.NOT_CHECKED || v.outcome() == Outcome.NOT_OBSERVABLE;
        n.put("reason", specific ? ReportModel.reason(v) : null);
        n.put("waiver", ReportModel.waiverNote(v));
        // One cell per session of the run, blank where the verdict has no outcome for it.
        Map<String, Outcome> per = new LinkedHashMap<>();
        for (SessionOutcome s : v.sessions()) per.put(s.session(), s.outcome());
        List<Map<String, String>> cells = new ArrayList<>();
        for (SessionSummary s : c.sessions()) {
            Outcome o = per.get(s.label());
            // A session's failure shows as the verdict does: a warning for a SHOULD, waived under a waiver.
            String shown = o != Outcome.FAIL ? null : v.isWarning() ? "warning" : v.isWaived() ? "waived" : null;
            String id = o == null ? "none" : shown != null ? shown : ReportModel.outcomeId(o).replace('_', '-');
            String text = o == null ? "—" : shown != null ? shown : o.label();
            cells.add(Map.of("id", id, "text", text, "session", s.label()));
        }
        n.put("cells", cells);
        return n;
    }

    private static Map<String, Object> evidenceBlock(RequirementVerdict v, Certification c) {
        Requirement r = v.requirement();
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("id", r.id());
        n.put("anchor", "ev-" + r.id());
        n.put("strength", r.strength().keyword());
        n.put("statement", r.statement());
        n.put("source", r.source() == null ? "" : r.source().text());
        n.put("check", v.check());
        n.put("kind", v.isViolation() ? "fail" : v.isWaived() ? "waived" : "warning");
        String label = v.isViolation() ? "FAIL" : v.isWaived() ? "WAIVED"
                : (c.failed() && c.failOn().name().equals("SHOULD") ? "FAIL (SHOULD)" : "WARNING");
        n.put("kindLabel", v.hasExpiredWaiver() ? label + " (waiver expired)" : label);
        n.put("waiver", ReportModel.waiverNote(v));
        List<Map<String, Object>> items = new ArrayList<>();
        for (Evidence e : v.evidence()) {
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("summary", e.summary());
            i.put("session", e.session());
            i.put("queue", e.queue() < 0 ? "transport / negotiation" : "queue " + e.queue());
            i.put("guestTime", e.guestSeconds() < 0 ? "no guest" : String.format(Locale.ROOT, "%.6f s", e.guestSeconds()));
            i.put("hostTime", e.hostTime() == null ? "—" : e.hostTime());
            i.put("before", e.before());
            i.put("offending", e.offending());
            i.put("hasBefore", !e.before().isEmpty());
            items.add(i);
        }
        n.put("items", items);
        n.put("noEvidence", items.isEmpty());
        return n;
    }
}
