package dev.pvkit.conformance.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.CertificationTerms;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a {@code report.json} that {@link JsonReport} wrote back into the {@link Certification} it came from: what
 * {@code pvkit report merge} merges. Requirements are rebuilt from the specification by id, so the report must cite
 * the specification version this PVKit checks against; the text the report repeats from the specification
 * (statements, sources, area names, reasons) is not read back.
 */
public final class JsonReportReader {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final PvSpec spec;

    public JsonReportReader(PvSpec spec) {
        this.spec = spec;
    }

    /**
     * @throws IOException one line naming the file and what is wrong: unreadable, not JSON, another format or
     *                     specification version, a requirement id the specification lacks, a field missing
     */
    public Certification read(Path file) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not a JSON report (" + e.getOriginalMessage() + ")", e);
        }
        try {
            return certification(root);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    Certification certification(JsonNode root) {
        String schema = text(root, "schema");
        if (!JsonReport.SCHEMA.equals(schema)) {
            throw new IllegalArgumentException("format " + schema + ", but this PVKit reads " + JsonReport.SCHEMA);
        }
        String specVersion = text(root, "spec_version");
        if (!spec.version().toString().equals(specVersion)) {
            throw new IllegalArgumentException("made against specification " + specVersion + ", but this PVKit checks against " + spec.version());
        }
        List<SessionSummary> sessions = new ArrayList<>();
        for (JsonNode s : array(root, "sessions")) {
            sessions.add(new SessionSummary(text(s, "label"), text(s, "kind"), nullable(s, "features"), nullable(s, "ring"),
                    s.path("events").asInt(), s.path("start_seconds").asDouble(), s.path("judged").asBoolean()));
        }
        List<RequirementVerdict> verdicts = new ArrayList<>();
        for (JsonNode r : array(root, "requirements")) verdicts.add(verdict(r));
        FailOn failOn = FailOn.valueOf(text(root, "fail_on").toUpperCase(Locale.ROOT));
        return new Certification(text(root, "tool_version"), specVersion, facts(root.get("guest")), facts(root.get("device")),
                nullable(root, "started_at"), root.path("duration_seconds").asDouble(), sessions, verdicts, failOn,
                terms(root), exploration(root.get("exploration")));
    }

    private RequirementVerdict verdict(JsonNode n) {
        String id = text(n, "id");
        Requirement r = spec.requirement(id).orElseThrow(() -> new IllegalArgumentException(
                "requirement " + id + " is not in " + spec.citation()));
        List<SessionOutcome> per = new ArrayList<>();
        for (JsonNode s : array(n, "sessions")) per.add(new SessionOutcome(text(s, "session"), outcome(text(s, "outcome"))));
        List<Evidence> evidence = new ArrayList<>();
        for (JsonNode e : array(n, "evidence")) {
            evidence.add(new Evidence(text(e, "session"), e.path("queue").asInt(-1), text(e, "summary"), strings(e.get("offending")),
                    strings(e.get("before")), nullable(e, "host_time"), e.path("guest_seconds").asDouble(-1)));
        }
        JsonNode w = n.get("waiver");
        Waiver waiver = w == null || w.isNull() ? null : waiver(w);
        return new RequirementVerdict(r, outcome(text(n, "outcome")), per, evidence, nullable(n, "check"), waiver);
    }

    private static CertificationTerms terms(JsonNode root) {
        JsonNode p = root.get("profile");
        Map<String, String> profile = p == null || p.isNull() ? Map.of() : facts(p);
        JsonNode ws = root.path("waivers");
        List<WaiverUse> uses = new ArrayList<>();
        for (JsonNode e : array(ws, "entries")) {
            String status = text(e, "status");
            WaiverUse.Status st = null;
            for (WaiverUse.Status s : WaiverUse.Status.values()) if (s.label().equals(status)) st = s;
            if (st == null) throw new IllegalArgumentException("waiver status '" + status + "' is not one this PVKit writes");
            uses.add(new WaiverUse(waiver(e), st));
        }
        return new CertificationTerms(profile, nullable(ws, "file"), uses);
    }

    private static ExplorationSummary exploration(JsonNode x) {
        if (x == null || x.isNull()) return null;
        Map<String, Map<String, Integer>> stats = new TreeMap<>();
        x.path("statistics").fields().forEachRemaining(d -> {
            Map<String, Integer> values = new TreeMap<>();
            d.getValue().fields().forEachRemaining(v -> values.put(v.getKey(), v.getValue().asInt()));
            stats.put(d.getKey(), values);
        });
        JsonNode f = x.get("failure");
        ExplorationSummary.Failure failure = f == null || f.isNull() ? null : new ExplorationSummary.Failure(text(f, "kind"),
                text(f, "detail"), f.path("try").asInt(), f.path("original").toString(), f.path("minimal").toString(),
                f.path("shrink_steps").asInt(), text(f, "replay"), f.path("reproduced").asInt(), f.path("confirmations").asInt());
        return new ExplorationSummary(x.path("seed").asLong(), x.path("tries").asInt(), x.path("planned").asInt(), stats,
                nullable(x, "stopped"), failure, x.path("replayed").asBoolean());
    }

    private static Waiver waiver(JsonNode w) {
        return new Waiver(text(w, "id"), text(w, "owner"), text(w, "reason"), LocalDate.parse(text(w, "expires")));
    }

    private static Outcome outcome(String id) {
        for (Outcome o : Outcome.values()) if (ReportModel.outcomeId(o).equals(id)) return o;
        throw new IllegalArgumentException("outcome '" + id + "' is not one this PVKit writes");
    }

    private static Map<String, String> facts(JsonNode n) {
        Map<String, String> out = new LinkedHashMap<>();
        if (n != null) n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null) n.forEach(s -> out.add(s.asText()));
        return out;
    }

    private static Iterable<JsonNode> array(JsonNode n, String field) {
        JsonNode a = n.get(field);
        if (a == null || !a.isArray()) throw new IllegalArgumentException("field '" + field + "' missing or not a list");
        return a;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("field '" + field + "' missing");
        return v.asText();
    }

    private static String nullable(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
