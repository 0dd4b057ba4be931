package dev.pvkit.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.FailOn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportWritersTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    // ---- report.json ----

    @Test
    void writesTheThreeReports() throws IOException {
        ReportWriter.ReportFiles f = ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir.resolve("out/pvkit"));
        assertThat(f.all()).extracting(p -> p.getFileName().toString()).containsExactly("report.json", "junit.xml", "report.html");
        for (Path p : f.all()) assertThat(p).isRegularFile().isNotEmptyFile();
    }

    @Test
    void jsonCarriesFactsCountsAndEveryEvidenceField() throws IOException {
        Certification c = SampleCertification.failing(FailOn.MUST);
        JsonNode r = JSON.readTree(Files.readString(ReportWriter.write(c, dir).json()));
        assertThat(r.get("schema").asText()).isEqualTo("pvkit-report/2");
        assertThat(r.get("result").asText()).isEqualTo("fail");
        assertThat(r.get("spec_version").asText()).isEqualTo(SampleCertification.SPEC.version().toString());
        assertThat(r.get("guest").get("kernel").asText()).startsWith("6.1.0");
        assertThat(r.get("device").get("offered features").asText()).isEqualTo("0x170000646");
        assertThat(r.get("sessions")).hasSize(2);
        assertThat(r.get("sessions").get(0).get("label").asText()).isEqualTo("session 1 (firmware)");
        // Why a rule has no verdict comes from the spec: its unchecked reason, or how it escapes observation.
        assertThat(requirement(r, "DRV-FEAT-007").get("reason").asText())
                .isEqualTo(SampleCertification.SPEC.requirement("DRV-FEAT-007").orElseThrow().uncheckedReason().orElseThrow());
        assertThat(requirement(r, "DRV-BLK-001").get("reason").asText())
                .isEqualTo(SampleCertification.SPEC.requirement("DRV-BLK-001").orElseThrow().how());
        assertThat(requirement(r, "DRV-INIT-001").get("reason").isNull()).isTrue();
        assertThat(r.get("counts").get("fail").asInt()).isEqualTo(3);
        assertThat(r.get("violations").asInt()).isEqualTo(2);
        assertThat(r.get("warnings").asInt()).isEqualTo(1);
        int sum = 0;
        for (JsonNode n : r.get("counts")) sum += n.asInt();
        assertThat(sum).isEqualTo(r.get("total").asInt()).isEqualTo(c.verdicts().size());

        JsonNode loop = requirement(r, "DRV-SPLIT-009");
        assertThat(loop.get("area").asText()).isEqualTo("SPLIT");
        assertThat(loop.get("area_name").asText()).isEqualTo("Split virtqueues");
        assertThat(loop.get("strength").asText()).isEqualTo("MUST NOT");
        assertThat(loop.get("source").asText()).isEqualTo("virtio-1.4 §2.7.5.2");
        assertThat(loop.get("outcome").asText()).isEqualTo("fail");
        assertThat(loop.get("label").asText()).isEqualTo("fail");
        assertThat(loop.get("check").asText()).isEqualTo("ChainCheck");
        assertThat(loop.get("sessions").get(1).get("outcome").asText()).isEqualTo("fail");
        JsonNode e = loop.get("evidence").get(0);
        assertThat(e.get("session").asText()).isEqualTo("session 2 (OS)");
        assertThat(e.get("queue").asInt()).isZero();
        assertThat(e.get("summary").asText()).contains("loops");
        assertThat(e.get("offending")).hasSize(1);
        assertThat(e.get("before")).hasSize(4);
        assertThat(e.get("host_time").asText()).isEqualTo("2026-03-02T09:14:09.624730Z");
        assertThat(e.get("guest_seconds").asDouble()).isEqualTo(3.51773);

        assertThat(requirement(r, "DRV-SPLIT-007").get("label").asText()).isEqualTo("warning");
        assertThat(requirement(r, "DRV-BLK-001").get("outcome").asText()).isEqualTo("not_observable");
        assertThat(requirement(r, "DRV-FEAT-007").get("check").isNull()).isTrue();
    }

    @Test
    void aGeneratedTryThatBrokeTheDriverFailsTheRunInEveryReport() throws Exception {
        Certification c = SampleCertification.explorationFailed();
        assertThat(c.failed()).isTrue();
        ReportWriter.ReportFiles f = ReportWriter.write(c, dir);
        String json = Files.readString(f.json());
        assertThat(schema().validate(json, InputFormat.JSON)).as("schema errors").isEmpty();
        JsonNode x = JSON.readTree(json).get("exploration");
        assertThat(JSON.readTree(json).get("result").asText()).isEqualTo("fail");
        assertThat(x.get("result").asText()).isEqualTo("fail");
        assertThat(x.get("failure").get("minimal").get("behaviour").get("completions").asText()).isEqualTo("REVERSED");
        assertThat(x.get("failure").get("reproduced").asInt()).isEqualTo(2);
        assertThat(x.get("failure").get("replay").asText()).startsWith("pvkit certify --replay ");
        assertThat(x.get("statistics").get("completion order").get("reversed").asInt()).isEqualTo(4);

        var junit = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f.junit().toFile());
        org.w3c.dom.Element root = junit.getDocumentElement();
        assertThat(root.getAttribute("failures")).isEqualTo("1");
        var suites = junit.getElementsByTagName("testsuite");
        org.w3c.dom.Element last = (org.w3c.dom.Element) suites.item(suites.getLength() - 1);
        assertThat(last.getAttribute("name")).isEqualTo("Generated device behaviour");
        assertThat(last.getElementsByTagName("failure").item(0).getTextContent()).contains("pvkit certify --replay", "2 of 3 runs");

        String html = Files.readString(f.html());
        assertThat(html).contains("data-exploration-result=\"fail\"", "pvkit certify --replay eyJiZWhhdmlvdXIiOnt9fQ", "2 of 3 runs",
                "generated device behaviour broke the driver (data)");
    }

    @Test
    void passingRunSaysPass() throws IOException {
        JsonNode r = JSON.readTree(Files.readString(ReportWriter.write(SampleCertification.passing(), dir).json()));
        assertThat(r.get("result").asText()).isEqualTo("pass");
        assertThat(r.get("violations").asInt()).isZero();
    }

    @Test
    void writtenReportsMatchTheSchema() throws IOException {
        Schema schema = schema();
        for (Certification c : List.of(SampleCertification.failing(FailOn.MUST), SampleCertification.failing(FailOn.SHOULD),
                SampleCertification.passing(), SampleCertification.waived(FailOn.MUST))) {
            String json = Files.readString(ReportWriter.write(c, dir).json());
            assertThat(schema.validate(json, InputFormat.JSON)).as("schema errors").isEmpty();
        }
    }

    @Test
    void schemaRejectsBrokenReports() throws IOException {
        Schema schema = schema();
        ObjectNode good = (ObjectNode) JSON.readTree(Files.readString(
                ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir).json()));
        assertThat(schema.validate(good.toString(), InputFormat.JSON)).isEmpty();

        ObjectNode unknownOutcome = good.deepCopy();
        ((ObjectNode) unknownOutcome.get("requirements").get(0)).put("outcome", "flaky");
        assertThat(messages(schema.validate(unknownOutcome.toString(), InputFormat.JSON))).anyMatch(m -> m.contains("outcome"));

        ObjectNode wrongVersion = good.deepCopy();
        wrongVersion.put("schema", "pvkit-report/1");
        assertThat(schema.validate(wrongVersion.toString(), InputFormat.JSON)).isNotEmpty();

        ObjectNode missingEvidenceField = good.deepCopy();
        for (JsonNode req : missingEvidenceField.get("requirements")) {
            if (req.get("evidence").size() > 0) ((ObjectNode) req.get("evidence").get(0)).remove("summary");
        }
        assertThat(messages(schema.validate(missingEvidenceField.toString(), InputFormat.JSON))).anyMatch(m -> m.contains("summary"));

        ObjectNode extraField = good.deepCopy();
        extraField.put("verdict", "ok");
        assertThat(schema.validate(extraField.toString(), InputFormat.JSON)).isNotEmpty();
    }

    @Test
    void schemaDescribesEveryProperty() throws IOException {
        JsonNode s = JSON.readTree(schemaText());
        assertThat(s.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
        List<String> undocumented = new ArrayList<>();
        collectUndocumented(s, "", undocumented);
        assertThat(undocumented).as("properties without a description").isEmpty();
    }

    private static void collectUndocumented(JsonNode node, String path, List<String> out) {
        if (node.isObject()) {
            JsonNode props = node.get("properties");
            if (props != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    if (!p.getValue().has("description")) out.add(path + "/" + p.getKey());
                }
            }
            node.fields().forEachRemaining(e -> collectUndocumented(e.getValue(), path + "/" + e.getKey(), out));
        } else if (node.isArray()) {
            for (JsonNode n : node) collectUndocumented(n, path + "[]", out);
        }
    }

    /** Waived, expired and unused waivers in report.json: the verdicts, the counts, the file's list, the profile. */
    @Test
    void jsonShowsWaivedAndExpiredWaivers() throws IOException {
        Certification c = SampleCertification.waived(FailOn.MUST);
        JsonNode r = JSON.readTree(Files.readString(ReportWriter.write(c, dir).json()));
        assertThat(r.get("result").asText()).as("DRV-SPLIT-009's waiver expired: still a violation").isEqualTo("fail");
        assertThat(r.get("violations").asInt()).isEqualTo(1);
        assertThat(r.get("waived").asInt()).isEqualTo(1);
        assertThat(r.get("expired_waivers").asInt()).isEqualTo(1);
        assertThat(r.get("counts").get("waived").asInt()).isEqualTo(1);
        assertThat(r.get("counts").get("fail").asInt()).isEqualTo(2);

        JsonNode held = requirement(r, "DRV-INIT-002");
        assertThat(held.get("outcome").asText()).isEqualTo("waived");
        assertThat(held.get("label").asText()).isEqualTo("waived");
        assertThat(held.get("waiver").get("status").asText()).isEqualTo("waived");
        assertThat(held.get("waiver").get("owner").asText()).isEqualTo("firmware-team");
        assertThat(held.get("waiver").get("expires").asText()).isEqualTo("2026-06-30");
        assertThat(held.get("evidence")).as("the evidence stays").hasSize(1);
        assertThat(held.get("sessions").get(0).get("outcome").asText()).as("per session: what was seen").isEqualTo("fail");

        JsonNode expired = requirement(r, "DRV-SPLIT-009");
        assertThat(expired.get("outcome").asText()).isEqualTo("fail");
        assertThat(expired.get("waiver").get("status").asText()).isEqualTo("expired");
        assertThat(expired.get("waiver").get("expires").asText()).isEqualTo("2026-01-31");
        assertThat(requirement(r, "DRV-INIT-001").get("waiver").isNull()).isTrue();

        assertThat(r.get("waivers").get("file").asText()).isEqualTo("ci/waivers.yaml");
        List<String> statuses = new ArrayList<>();
        r.get("waivers").get("entries").forEach(e -> statuses.add(e.get("id").asText() + " " + e.get("status").asText()));
        assertThat(statuses).containsExactly("DRV-INIT-002 waived", "DRV-SPLIT-009 expired", "DRV-INIT-001 unused");
        assertThat(r.get("profile").get("name").asText()).isEqualTo("blk");

        JsonNode none = JSON.readTree(Files.readString(ReportWriter.write(SampleCertification.passing(), dir).json()));
        assertThat(none.get("profile").isNull()).isTrue();
        assertThat(none.get("waivers").get("file").isNull()).isTrue();
        assertThat(none.get("waivers").get("entries")).isEmpty();
    }

    @Test
    void schemaRejectsAWaivedRequirementWithoutStatus() throws IOException {
        ObjectNode r = (ObjectNode) JSON.readTree(Files.readString(ReportWriter.write(SampleCertification.waived(FailOn.MUST), dir).json()));
        assertThat(schema().validate(r.toString(), InputFormat.JSON)).isEmpty();
        for (JsonNode req : r.get("requirements")) {
            if (req.get("waiver").isObject()) ((ObjectNode) req.get("waiver")).put("status", "forgiven");
        }
        assertThat(messages(schema().validate(r.toString(), InputFormat.JSON))).anyMatch(m -> m.contains("waiver"));
    }

    // ---- junit.xml ----

    @Test
    void junitSkipsWaivedFailuresAndFailsExpiredOnes() throws Exception {
        Document d = xml(ReportWriter.write(SampleCertification.waived(FailOn.MUST), dir).junit());
        assertThat(d.getDocumentElement().getAttribute("failures")).isEqualTo("1");
        assertThat(d.getDocumentElement().getAttribute("skipped")).isEqualTo("8");
        Element waived = testcase(d, "DRV-INIT-002");
        assertThat(waived.getElementsByTagName("failure").getLength()).isZero();
        assertThat(((Element) waived.getElementsByTagName("skipped").item(0)).getAttribute("message"))
                .isEqualTo("waived until 2026-06-30 by firmware-team: SeaBIOS 1.16 skips the reset; fixed in 1.17");
        assertThat(waived.getElementsByTagName("system-out").item(0).getTextContent()).startsWith("WAIVED (MUST failed; ")
                .contains("first device_status write was ACKNOWLEDGE");
        Element expired = (Element) testcase(d, "DRV-SPLIT-009").getElementsByTagName("failure").item(0);
        assertThat(expired.getAttribute("message")).startsWith("waiver expired on 2026-01-31 (os-team: loop fix pending review)")
                .contains("descriptor chain 23 loops");
        Element suite = (Element) d.getElementsByTagName("testsuite").item(0);
        assertThat(suite.getElementsByTagName("property")).satisfies(props -> {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < props.getLength(); i++) names.add(((Element) props.item(i)).getAttribute("name"));
            assertThat(names).contains("profile.name", "pvkit.waivers");
        });
    }

    @Test
    void junitHasOneTestCasePerRequirementAndRightCounts() throws Exception {
        Certification c = SampleCertification.failing(FailOn.MUST);
        Document d = xml(ReportWriter.write(c, dir).junit());
        Element root = d.getDocumentElement();
        assertThat(root.getTagName()).isEqualTo("testsuites");
        NodeList cases = d.getElementsByTagName("testcase");
        assertThat(cases.getLength()).isEqualTo(c.verdicts().size());
        assertThat(root.getAttribute("tests")).isEqualTo(Integer.toString(c.verdicts().size()));
        assertThat(root.getAttribute("failures")).isEqualTo("2");
        assertThat(root.getAttribute("errors")).isEqualTo("0");
        assertThat(root.getAttribute("skipped")).isEqualTo("7");

        NodeList suites = d.getElementsByTagName("testsuite");
        int tests = 0, failures = 0, skipped = 0;
        for (int i = 0; i < suites.getLength(); i++) {
            Element s = (Element) suites.item(i);
            NodeList own = s.getElementsByTagName("testcase");
            assertThat(s.getAttribute("tests")).isEqualTo(Integer.toString(own.getLength()));
            assertThat(s.getAttribute("failures")).isEqualTo(Integer.toString(s.getElementsByTagName("failure").getLength()));
            assertThat(s.getAttribute("skipped")).isEqualTo(Integer.toString(s.getElementsByTagName("skipped").getLength()));
            tests += own.getLength();
            failures += Integer.parseInt(s.getAttribute("failures"));
            skipped += Integer.parseInt(s.getAttribute("skipped"));
        }
        assertThat(tests).isEqualTo(cases.getLength());
        assertThat(failures).isEqualTo(2);
        assertThat(skipped).isEqualTo(7);

        Element loop = testcase(d, "DRV-SPLIT-009");
        assertThat(loop.getAttribute("classname")).isEqualTo("Split virtqueues");
        assertThat(loop.getAttribute("name")).startsWith("DRV-SPLIT-009 The driver MUST NOT build a descriptor chain");
        Element failure = (Element) loop.getElementsByTagName("failure").item(0);
        assertThat(failure.getAttribute("message"))
                .isEqualTo("The driver MUST NOT build a descriptor chain whose next links form a loop."
                        + " — descriptor chain 23 loops: descriptor 5 links back to descriptor 2");
        assertThat(failure.getTextContent()).contains("session 2 (OS), queue 0", "next 2 revisits the chain",
                "available index 58 -> 59", "offending:");

        Element warning = testcase(d, "DRV-SPLIT-007");
        assertThat(warning.getElementsByTagName("failure").getLength()).isZero();
        assertThat(warning.getElementsByTagName("system-out").item(0).getTextContent()).startsWith("WARNING (SHOULD NOT")
                .contains("130 descriptors");

        Element skip = (Element) testcase(d, "DRV-BLK-001").getElementsByTagName("skipped").item(0);
        assertThat(skip.getAttribute("message")).startsWith("not observable:");
        assertThat(skip.getAttribute("message")).endsWith(SampleCertification.SPEC.requirement("DRV-BLK-001").orElseThrow().how());
        Element unchecked = (Element) testcase(d, "DRV-FEAT-007").getElementsByTagName("skipped").item(0);
        assertThat(unchecked.getAttribute("message")).isEqualTo("not checked: "
                + SampleCertification.SPEC.requirement("DRV-FEAT-007").orElseThrow().uncheckedReason().orElseThrow());
        assertThat(testcase(d, "DRV-PACKED-001").getElementsByTagName("skipped").item(0)).isNotNull();
        assertThat(testcase(d, "DRV-NOTIFY-001").getElementsByTagName("skipped").item(0)).isNotNull();
        assertThat(testcase(d, "DRV-INIT-001").getChildNodes().getLength()).isZero();
    }

    @Test
    void junitFailsWarningsWhenFailingOnShould() throws Exception {
        Document d = xml(ReportWriter.write(SampleCertification.failing(FailOn.SHOULD), dir).junit());
        assertThat(d.getDocumentElement().getAttribute("failures")).isEqualTo("3");
        Element failure = (Element) testcase(d, "DRV-SPLIT-007").getElementsByTagName("failure").item(0);
        assertThat(failure.getAttribute("type")).startsWith("SHOULD NOT");
        assertThat(failure.getAttribute("message")).contains("excessive number of descriptors", "130 descriptors");
    }

    // ---- report.html (content; the browser test renders it) ----

    @Test
    void htmlIsSelfContainedAndCarriesCounts() throws IOException {
        String html = Files.readString(ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir).html());
        assertThat(html).doesNotContainPattern("(?i)<script|<link|@import|url\\(|src=\"");
        assertThat(html).doesNotContain("http://", "https://");
        assertThat(attribute(html, "data-count-fail")).isEqualTo("2");
        assertThat(attribute(html, "data-count-warning")).isEqualTo("1");
        assertThat(attribute(html, "data-count-pass")).isEqualTo("13");
        assertThat(attribute(html, "data-result")).isEqualTo("fail");
        assertThat(html).contains("Split virtqueues", "DRV-SPLIT-009", "virtio-1.4 §2.7.5.2", "session 2 (OS)",
                "VIRTIO_F_VERSION_1", "VIRTIO_BLK_F_MQ", "next 2 revisits the chain", "2026-03-02T09:14:09.624730Z");
        // Mustache escapes what the guest and the driver put in.
        assertThat(html).contains("available index 58 -&gt; 59");
        // A rule without a verdict shows the spec's reason for it: why it is unchecked, or why nothing observes it.
        assertThat(html).contains("<span class=\"why\">" + escaped(SampleCertification.SPEC.requirement("DRV-FEAT-007")
                .orElseThrow().uncheckedReason().orElseThrow()) + "</span>");
        assertThat(html).contains("<span class=\"why\">" + escaped(SampleCertification.SPEC.requirement("DRV-BLK-001")
                .orElseThrow().how()) + "</span>");
    }

    @Test
    void htmlShowsWaivedAndExpiredWaiversAndTheWaiverFile() throws IOException {
        String html = Files.readString(ReportWriter.write(SampleCertification.waived(FailOn.MUST), dir).html());
        assertThat(attribute(html, "data-count-waived")).isEqualTo("1");
        assertThat(attribute(html, "data-count-fail")).isEqualTo("1");
        assertThat(html).contains("id=\"req-DRV-INIT-002\" data-verdict=\"waived\"", "id=\"req-DRV-SPLIT-009\" data-verdict=\"fail\"");
        assertThat(html).contains(escaped("waived until 2026-06-30 by firmware-team: SeaBIOS 1.16 skips the reset; fixed in 1.17"));
        assertThat(html).contains(escaped("waiver expired on 2026-01-31 (os-team: loop fix pending review); the failure counts"));
        assertThat(html).contains("id=\"ev-DRV-INIT-002\"", "FAIL (waiver expired)", "ci/waivers.yaml");
        assertThat(html).contains("id=\"waiver-DRV-INIT-001\" data-waiver-status=\"unused\"",
                "id=\"waiver-DRV-SPLIT-009\" data-waiver-status=\"expired\"", "id=\"waiver-DRV-INIT-002\" data-waiver-status=\"waived\"");
        assertThat(html).contains("<section class=\"card\" id=\"profile\">");
        String plain = Files.readString(ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir).html());
        assertThat(plain).doesNotContain("id=\"waivers\"", "id=\"profile\"", "waiver-note\">");
    }

    /** Text as Mustache's HTML escaping writes it. */
    private static String escaped(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;").replace("=", "&#61;").replace("`", "&#96;");
    }

    @Test
    void htmlEscapesMarkupInFacts() throws IOException {
        Certification c = SampleCertification.failing(FailOn.MUST);
        Map<String, String> guest = new java.util.HashMap<>(c.guest());
        guest.put("kernel", "<script>alert(1)</script>");
        Certification evil = new Certification(c.toolVersion(), c.specVersion(), guest, c.device(), c.startedAt(),
                c.seconds(), c.sessions(), c.verdicts(), c.failOn());
        String html = Files.readString(ReportWriter.write(evil, dir).html());
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;");
    }

    // ---- the facade ----

    @Test
    void unwritableDirectoryIsOneClearLine() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> ReportWriter.write(SampleCertification.passing(), file))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("report directory " + file + " cannot be")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> ReportWriter.write(SampleCertification.passing(), file.resolve("sub")))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("report directory " + file.resolve("sub") + " cannot be created");
    }

    // ---- helpers ----

    static Schema schema() throws IOException {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schemaText(), InputFormat.JSON);
    }

    static String schemaText() throws IOException {
        try (InputStream in = ReportWritersTest.class.getClassLoader().getResourceAsStream(JsonReport.SCHEMA_RESOURCE)) {
            assertThat(in).as(JsonReport.SCHEMA_RESOURCE + " on the class path").isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> messages(List<Error> errors) {
        return errors.stream().map(Error::toString).toList();
    }

    static JsonNode requirement(JsonNode report, String id) {
        for (JsonNode n : report.get("requirements")) if (n.get("id").asText().equals(id)) return n;
        throw new AssertionError(id + " not in the report");
    }

    private static Document xml(Path p) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document d = f.newDocumentBuilder().parse(p.toFile());
        d.getDocumentElement().normalize();
        return d;
    }

    private static Element testcase(Document d, String id) {
        NodeList cases = d.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element e = (Element) cases.item(i);
            if (e.getAttribute("name").startsWith(id + " ")) {
                // Only element children count (the writer indents with whitespace).
                removeWhitespace(e);
                return e;
            }
        }
        throw new AssertionError("no test case for " + id);
    }

    private static void removeWhitespace(Element e) {
        NodeList kids = e.getChildNodes();
        for (int i = kids.getLength() - 1; i >= 0; i--) {
            if (kids.item(i).getNodeType() == org.w3c.dom.Node.TEXT_NODE && kids.item(i).getTextContent().isBlank()) {
                e.removeChild(kids.item(i));
            }
        }
    }

    static String attribute(String html, String name) {
        Matcher m = Pattern.compile(name + "=\"([^\"]*)\"").matcher(html);
        assertThat(m.find()).as(name + " in the page").isTrue();
        return m.group(1);
    }
}
