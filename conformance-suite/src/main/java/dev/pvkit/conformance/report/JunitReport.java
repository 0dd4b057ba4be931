package dev.pvkit.conformance.report;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code junit.xml}: the verdicts as JUnit test results, for CI servers. One {@code <testsuite>} per area (in catalog
 * order) inside a {@code <testsuites>}; one {@code <testcase>} per requirement, named by id and statement, its class
 * name the area's name. A failed MUST or MUST NOT is a {@code <failure>}; a failed SHOULD or SHOULD NOT is a passed test
 * case with the warning and its evidence in {@code <system-out>}, or a {@code <failure>} when the run fails on those
 * too; not exercised, not observable and not checked requirements are {@code <skipped>}.
 * <p>
 * A waived failure is {@code <skipped>}, its message naming the waiver, with the evidence in {@code <system-out>}.
 * Skipped, not passed: CI servers count and list skipped tests apart, which is what a known violation accepted for a
 * time is (neither kept nor failing the build); shown as passed it would vanish among the kept rules, and a
 * property on a passed test case is something no CI dashboard shows. A failure whose waiver expired is a
 * {@code <failure>} (or, for a SHOULD not failing the run, the warning) whose message starts with the expiry.
 */
public final class JunitReport {
    private static final int NAME_STATEMENT = 90;

    private final PvSpec spec;

    public JunitReport(PvSpec spec) {
        this.spec = spec;
    }

    public void write(Certification c, Path file) throws IOException {
        write(c, null, file);
    }

    /** A merged report: {@code matrix} adds a suite with one test case per planned cell (null: none). */
    public void write(Certification c, MatrixPart matrix, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(c, matrix, out);
        }
    }

    public void write(Certification c, OutputStream out) throws IOException {
        write(c, null, out);
    }

    /**
     * Writes the XML. With a {@code matrix}, a last suite "Matrix cells" holds one test case per planned cell: a
     * {@code <failure>} for a cell whose certification failed, an {@code <error>} for one that could not run or is
     * missing (a CI server then shows the merged run as broken, not as passed with fewer tests).
     */
    public void write(Certification c, MatrixPart matrix, OutputStream out) throws IOException {
        try {
            XMLStreamWriter x = XMLOutputFactory.newFactory().createXMLStreamWriter(out, StandardCharsets.UTF_8.name());
            x.writeStartDocument(StandardCharsets.UTF_8.name(), "1.0");
            nl(x, 0);
            List<ReportModel.AreaGroup> areas = ReportModel.byArea(c, spec, false);
            x.writeStartElement("testsuites");
            x.writeAttribute("name", "PVKit certification");
            int cells = matrix == null ? 0 : matrix.cells().size();
            int cellFailures = matrix == null ? 0 : (int) matrix.failedCells();
            int cellErrors = matrix == null ? 0 : cells - (int) matrix.count(MatrixPart.Status.RAN);
            writeCounts(x, c.verdicts(), c, (c.exploration() == null ? 0 : 1) + cells,
                    (c.exploration() != null && c.exploration().failed() ? 1 : 0) + cellFailures, cellErrors);
            x.writeAttribute("time", seconds(c.seconds()));
            for (ReportModel.AreaGroup g : areas) suite(x, c, g);
            if (c.exploration() != null) exploration(x, c.exploration());
            if (matrix != null) matrix(x, matrix, cellFailures, cellErrors);
            nl(x, 0);
            x.writeEndElement();
            nl(x, 0);
            x.writeEndDocument();
            x.flush();
            x.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write junit.xml: " + e.getMessage(), e);
        }
    }

    private void suite(XMLStreamWriter x, Certification c, ReportModel.AreaGroup g) throws XMLStreamException {
        nl(x, 1);
        x.writeStartElement("testsuite");
        x.writeAttribute("name", g.code() + " " + g.name());
        writeCounts(x, g.verdicts(), c, 0, 0, 0);
        x.writeAttribute("time", "0");
        if (c.startedAt() != null) x.writeAttribute("timestamp", c.startedAt());
        nl(x, 2);
        x.writeStartElement("properties");
        property(x, "pvkit.tool_version", c.toolVersion());
        property(x, "pvkit.spec_version", c.specVersion());
        property(x, "pvkit.fail_on", c.failOn().name().toLowerCase(Locale.ROOT));
        for (Map.Entry<String, String> f : c.terms().profile().entrySet()) property(x, "profile." + f.getKey(), f.getValue());
        if (c.terms().waiverFile() != null) property(x, "pvkit.waivers", c.terms().waiverFile());
        for (Map.Entry<String, String> f : ReportModel.guestFacts(c).entrySet()) property(x, "guest." + f.getKey(), f.getValue());
        for (Map.Entry<String, String> f : ReportModel.deviceFacts(c).entrySet()) property(x, "device." + f.getKey(), f.getValue());
        nl(x, 2);
        x.writeEndElement();
        for (RequirementVerdict v : g.verdicts()) testcase(x, c, g, v);
        nl(x, 1);
        x.writeEndElement();
    }

    private static void property(XMLStreamWriter x, String name, String value) throws XMLStreamException {
        nl(x, 3);
        x.writeEmptyElement("property");
        x.writeAttribute("name", name);
        x.writeAttribute("value", value == null ? "" : value);
    }

    private static void testcase(XMLStreamWriter x, Certification c, ReportModel.AreaGroup g, RequirementVerdict v)
            throws XMLStreamException {
        Requirement r = v.requirement();
        nl(x, 2);
        x.writeStartElement("testcase");
        x.writeAttribute("classname", g.name());
        x.writeAttribute("name", r.id() + " " + ReportModel.shorten(r.statement(), NAME_STATEMENT));
        x.writeAttribute("time", "0");
        String expired = v.hasExpiredWaiver() ? ReportModel.waiverNote(v) + ": " : "";
        if (v.isWaived()) {
            nl(x, 3);
            x.writeEmptyElement("skipped");
            x.writeAttribute("message", ReportModel.waiverNote(v));
            nl(x, 3);
            x.writeStartElement("system-out");
            x.writeCharacters("WAIVED (" + r.strength().keyword() + " failed; " + ReportModel.waiverNote(v) + "): "
                    + r.statement() + "\n" + details(v));
            x.writeEndElement();
        } else if (isFailure(v, c.failOn())) {
            nl(x, 3);
            x.writeStartElement("failure");
            String summary = ReportModel.evidenceSummary(v);
            x.writeAttribute("message", expired + r.statement() + (summary.isEmpty() ? "" : " — " + summary));
            x.writeAttribute("type", r.strength().keyword() + (v.isWarning() ? " (warning, failing on SHOULD)" : ""));
            x.writeCharacters(details(v));
            x.writeEndElement();
        } else if (v.isWarning()) {
            nl(x, 3);
            x.writeStartElement("system-out");
            x.writeCharacters(expired + "WARNING (" + r.strength().keyword() + " not kept): " + r.statement() + "\n" + details(v));
            x.writeEndElement();
        } else if (v.outcome() != Outcome.PASS) {
            nl(x, 3);
            x.writeEmptyElement("skipped");
            x.writeAttribute("message", v.outcome().label() + ": " + ReportModel.reason(v));
        }
        nl(x, 2);
        x.writeEndElement();
    }

    private static boolean isFailure(RequirementVerdict v, FailOn failOn) {
        return v.isViolation() || (v.isWarning() && failOn == FailOn.SHOULD);
    }

    /** Evidence as lines: per session outcomes, then per violation where, summary, context and offending steps. */
    private static String details(RequirementVerdict v) {
        StringBuilder b = new StringBuilder();
        b.append(v.requirement().id()).append(" (").append(v.requirement().strength().keyword()).append(", ")
                .append(v.requirement().source()).append(")");
        if (v.check() != null) b.append(", decided by ").append(v.check());
        b.append('\n');
        if (v.waiver() != null) b.append(ReportModel.waiverNote(v)).append('\n');
        for (SessionOutcome s : v.sessions()) b.append("  ").append(s.session()).append(": ").append(s.outcome().label()).append('\n');
        for (Evidence e : v.evidence()) {
            b.append('\n').append(e.summary()).append('\n');
            b.append("  at: ").append(ReportModel.where(e)).append('\n');
            if (!e.before().isEmpty()) {
                b.append("  before:\n");
                for (String l : e.before()) b.append("      ").append(l).append('\n');
            }
            b.append("  offending:\n");
            for (String l : e.offending()) b.append("    > ").append(l).append('\n');
        }
        return b.toString();
    }

    /**
     * The generated-behaviour phase as a suite of one case: it fails when a try broke the driver, with the minimal case
     * and its replay command as the failure's text, so a CI server shows how to reproduce it.
     */
    private static void exploration(XMLStreamWriter x, ExplorationSummary e) throws XMLStreamException {
        nl(x, 1);
        x.writeStartElement("testsuite");
        x.writeAttribute("name", "Generated device behaviour");
        x.writeAttribute("tests", "1");
        x.writeAttribute("failures", e.failed() ? "1" : "0");
        x.writeAttribute("errors", "0");
        x.writeAttribute("skipped", "0");
        x.writeAttribute("time", "0");
        nl(x, 2);
        x.writeStartElement("testcase");
        x.writeAttribute("classname", "Generated device behaviour");
        x.writeAttribute("name", e.replayed() ? "replayed case" : e.tries() + " tries, seed " + e.seed());
        x.writeAttribute("time", "0");
        nl(x, 3);
        if (e.failed()) {
            ExplorationSummary.Failure f = e.failure();
            x.writeStartElement("failure");
            x.writeAttribute("message", "try " + f.tryNumber() + " failed (" + f.kind() + "): " + f.detail());
            x.writeAttribute("type", f.kind());
            x.writeCharacters("minimal case (" + f.shrinkSteps() + " shrink steps; failed again in " + f.reproduced() + " of "
                    + f.confirmations() + " runs): " + f.minimal() + "\nreplay: " + f.replay() + "\n");
        } else {
            x.writeStartElement("system-out");
            x.writeCharacters(String.join("\n", e.statisticsLines()) + (e.stopped() != null ? "\nstopped early: " + e.stopped() : ""));
        }
        x.writeEndElement();
        nl(x, 2);
        x.writeEndElement();
        nl(x, 1);
        x.writeEndElement();
    }

    /** One test case per planned cell, named by cell, guest, profile and seed. */
    private static void matrix(XMLStreamWriter x, MatrixPart m, int failures, int errors) throws XMLStreamException {
        nl(x, 1);
        x.writeStartElement("testsuite");
        x.writeAttribute("name", "Matrix cells");
        x.writeAttribute("tests", Integer.toString(m.cells().size()));
        x.writeAttribute("failures", Integer.toString(failures));
        x.writeAttribute("errors", Integer.toString(errors));
        x.writeAttribute("skipped", "0");
        x.writeAttribute("time", seconds(m.cells().stream().mapToDouble(MatrixPart.Cell::seconds).sum()));
        for (MatrixPart.Cell c : m.cells()) {
            nl(x, 2);
            x.writeStartElement("testcase");
            x.writeAttribute("classname", "Matrix cells");
            x.writeAttribute("name", c.label() + " " + c.guest() + " · " + c.profile() + " · " + (c.seed() == null ? "new seed" : "seed " + c.seed()));
            x.writeAttribute("time", seconds(c.seconds()));
            String where = "shard " + c.shard() + "/" + m.shards() + (c.report() == null ? "" : ", report " + c.report());
            if (c.status() != MatrixPart.Status.RAN) {
                nl(x, 3);
                x.writeStartElement("error");
                x.writeAttribute("message", c.status().label() + ": " + c.detail());
                x.writeAttribute("type", c.status().label());
                x.writeCharacters(c.guestDetail() + "\n" + where + "\n");
                x.writeEndElement();
            } else if (c.failed()) {
                nl(x, 3);
                x.writeStartElement("failure");
                x.writeAttribute("message", MatrixPart.failures(c)
                        + (c.detail() != null ? "; " + c.detail() : "") + (c.exploration() != null ? "; " + c.exploration() : ""));
                x.writeAttribute("type", "cell failed");
                x.writeCharacters(c.guestDetail() + "\n" + where + "\n");
                x.writeEndElement();
            }
            nl(x, 2);
            x.writeEndElement();
        }
        nl(x, 1);
        x.writeEndElement();
    }

    private static void writeCounts(XMLStreamWriter x, List<RequirementVerdict> vs, Certification c, int extraTests, int extraFailures,
                                    int errors) throws XMLStreamException {
        long failures = vs.stream().filter(v -> isFailure(v, c.failOn())).count();
        // Waived failures are skipped test cases too (see the class comment).
        long skipped = vs.stream().filter(v -> v.outcome() != Outcome.PASS && v.outcome() != Outcome.FAIL).count();
        x.writeAttribute("tests", Integer.toString(vs.size() + extraTests));
        x.writeAttribute("failures", Long.toString(failures + extraFailures));
        x.writeAttribute("errors", Integer.toString(errors));
        x.writeAttribute("skipped", Long.toString(skipped));
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f", s);
    }

    /** Line break and indentation, so that the file reads well in an editor too. */
    private static void nl(XMLStreamWriter x, int depth) throws XMLStreamException {
        x.writeCharacters("\n" + "  ".repeat(depth));
    }
}
