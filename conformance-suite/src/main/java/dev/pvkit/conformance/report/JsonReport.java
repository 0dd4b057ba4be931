package dev.pvkit.conformance.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code report.json}: a certification for programs, in the format {@value ReportModel#SCHEMA}. Field names are
 * snake_case and stable within a format version; {@link #SCHEMA_RESOURCE} in this jar describes every one.
 */
public final class JsonReport {
    /** The report format this writer produces. */
    public static final String SCHEMA = ReportModel.SCHEMA;
    /** Class-path location of the JSON Schema (draft 2020-12) of {@code report.json}. */
    public static final String SCHEMA_RESOURCE = "dev/pvkit/conformance/report/report.schema.json";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final PvSpec spec;

    public JsonReport(PvSpec spec) {
        this.spec = spec;
    }

    public void write(Certification c, Path file) throws IOException {
        write(c, null, file);
    }

    /** A merged report: the certification merged over a matrix's cells, and {@code matrix}, what became of each cell. */
    public void write(Certification c, MatrixPart matrix, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            MAPPER.writeValue(out, tree(c, matrix));
        }
    }

    public void write(Certification c, OutputStream out) throws IOException {
        MAPPER.writeValue(out, tree(c));
    }

    /** The report as a JSON tree. */
    public ObjectNode tree(Certification c) {
        return tree(c, null);
    }

    /** The report as a JSON tree, with its {@code matrix} part when {@code matrix} is not null. */
    public ObjectNode tree(Certification c, MatrixPart matrix) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("tool_version", c.toolVersion());
        root.put("spec_version", c.specVersion());
        root.put("result", ReportModel.failed(c, matrix) ? "fail" : "pass");
        root.put("fail_on", c.failOn().name().toLowerCase(Locale.ROOT));
        root.put("started_at", c.startedAt());
        root.put("duration_seconds", c.seconds());
        root.set("guest", facts(ReportModel.guestFacts(c)));
        root.set("device", facts(ReportModel.deviceFacts(c)));
        root.set("profile", c.terms().profile().isEmpty() ? null : facts(c.terms().profile()));
        ObjectNode waivers = root.putObject("waivers");
        waivers.put("file", c.terms().waiverFile());
        ArrayNode entries = waivers.putArray("entries");
        for (WaiverUse u : c.terms().waivers()) {
            ObjectNode n = waiver(u.waiver());
            n.put("status", u.status().label());
            entries.add(n);
        }

        root.set("exploration", exploration(c.exploration()));

        ArrayNode sessions = root.putArray("sessions");
        for (SessionSummary s : c.sessions()) {
            ObjectNode n = sessions.addObject();
            n.put("label", s.label());
            n.put("kind", s.kind());
            n.put("features", s.features());
            n.put("ring", s.ring());
            n.put("events", s.events());
            n.put("start_seconds", s.startSeconds());
            n.put("judged", s.judged());
        }

        ObjectNode counts = root.putObject("counts");
        Map<Outcome, Integer> byOutcome = c.counts();
        for (Outcome o : Outcome.values()) counts.put(ReportModel.outcomeId(o), byOutcome.get(o));
        root.put("total", c.verdicts().size());
        root.put("violations", c.violations());
        root.put("warnings", c.warnings());
        root.put("waived", c.waived());
        root.put("expired_waivers", c.expiredWaivers());

        if (matrix != null) root.set("matrix", matrix(matrix));

        ArrayNode reqs = root.putArray("requirements");
        for (RequirementVerdict v : c.verdicts()) {
            Requirement r = v.requirement();
            ObjectNode n = reqs.addObject();
            n.put("id", r.id());
            n.put("area", r.area());
            n.put("area_name", ReportModel.areaName(spec, r.area()));
            n.put("strength", r.strength().keyword());
            n.put("statement", r.statement());
            n.put("source", r.source() == null ? null : r.source().text());
            n.put("outcome", ReportModel.outcomeId(v.outcome()));
            n.put("label", ReportModel.labelId(v));
            n.put("check", v.check());
            n.put("reason", ReportModel.reason(v));
            if (v.waiver() == null) {
                n.putNull("waiver");
            } else {
                ObjectNode w = waiver(v.waiver());
                w.put("status", v.isWaived() ? WaiverUse.Status.APPLIED.label() : WaiverUse.Status.EXPIRED.label());
                n.set("waiver", w);
            }
            ArrayNode per = n.putArray("sessions");
            for (SessionOutcome so : v.sessions()) {
                ObjectNode sn = per.addObject();
                sn.put("session", so.session());
                sn.put("outcome", ReportModel.outcomeId(so.outcome()));
            }
            ArrayNode ev = n.putArray("evidence");
            for (Evidence e : v.evidence()) {
                ObjectNode en = ev.addObject();
                en.put("session", e.session());
                en.put("queue", e.queue());
                en.put("summary", e.summary());
                e.offending().forEach(en.putArray("offending")::add);
                e.before().forEach(en.putArray("before")::add);
                en.put("host_time", e.hostTime());
                en.put("guest_seconds", e.guestSeconds());
            }
        }
        return root;
    }

    private static ObjectNode matrix(MatrixPart m) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("name", m.name());
        n.put("file", m.source());
        n.put("fingerprint", m.fingerprint());
        n.put("shards", m.shards());
        n.put("result", m.failed() ? "fail" : "pass");
        n.put("summary", m.summary());
        ArrayNode cells = n.putArray("cells");
        for (MatrixPart.Cell c : m.cells()) {
            ObjectNode cn = cells.addObject();
            cn.put("cell", c.number());
            cn.put("label", c.label());
            cn.put("guest", c.guest());
            cn.put("guest_detail", c.guestDetail());
            cn.put("profile", c.profile());
            cn.put("seed", c.seed());
            cn.put("shard", c.shard());
            cn.put("status", c.status().label());
            cn.put("result", c.status() == MatrixPart.Status.RAN ? (c.failed() ? "fail" : "pass") : null);
            cn.put("detail", c.detail());
            cn.put("report", c.report());
            cn.put("duration_seconds", c.seconds());
            cn.put("violations", c.violations());
            cn.put("warnings", c.warnings());
            cn.put("waived", c.waived());
            cn.put("exploration", c.exploration());
        }
        m.notes().forEach(n.putArray("notes")::add);
        return n;
    }

    private static ObjectNode waiver(Waiver w) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("id", w.id());
        n.put("owner", w.owner());
        n.put("reason", w.reason());
        n.put("expires", w.expires().toString());
        return n;
    }

    private static ObjectNode facts(Map<String, String> facts) {
        ObjectNode n = MAPPER.createObjectNode();
        facts.forEach(n::put);
        return n;
    }

    /** The generated-behaviour phase, or null when the run had none. */
    private static ObjectNode exploration(ExplorationSummary x) {
        if (x == null) return null;
        ObjectNode n = MAPPER.createObjectNode();
        n.put("seed", x.seed());
        n.put("tries", x.tries());
        n.put("planned", x.planned());
        n.put("replayed", x.replayed());
        n.put("result", x.failed() ? "fail" : "pass");
        n.put("stopped", x.stopped());
        ObjectNode stats = n.putObject("statistics");
        x.statistics().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ObjectNode d = stats.putObject(e.getKey());
            e.getValue().forEach(d::put);
        });
        if (x.failed()) {
            ExplorationSummary.Failure f = x.failure();
            ObjectNode fn = n.putObject("failure");
            fn.put("kind", f.kind());
            fn.put("detail", f.detail());
            fn.put("try", f.tryNumber());
            fn.put("shrink_steps", f.shrinkSteps());
            fn.put("reproduced", f.reproduced());
            fn.put("confirmations", f.confirmations());
            try {
                fn.set("original", MAPPER.readTree(f.original()));
                fn.set("minimal", MAPPER.readTree(f.minimal()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("a case that is not JSON: " + e.getMessage(), e);
            }
            fn.put("replay", f.replay());
        } else {
            n.putNull("failure");
        }
        return n;
    }
}
