package dev.pvkit.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pvkit.conformance.verdict.FailOn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Renders report.html in headless Chromium (Debian package {@code chromium}, installed by
 * scripts/install-prerequisites) and checks the rendered page against report.json. Skipped, saying so, when no
 * Chromium is installed. The screenshot stays in target/report-screenshots/ for people to look at.
 */
class HtmlReportBrowserTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SCREENSHOTS = Path.of("target", "report-screenshots");
    static String chromium;

    @TempDir
    Path dir;

    @BeforeAll
    static void findChromium() {
        chromium = locate();
    }

    @Test
    void renderedCountsMatchReportJson() throws Exception {
        assumeChromium();
        renderedCountsMatch(ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir.resolve("reports")));
    }

    /** Waived failures and an expired waiver: the waived tile and rows as report.json has them. */
    @Test
    void renderedWaiversMatchReportJson() throws Exception {
        assumeChromium();
        ReportWriter.ReportFiles f = ReportWriter.write(SampleCertification.waived(FailOn.MUST), dir.resolve("waived"));
        String dom = renderedCountsMatch(f);
        JsonNode json = JSON.readTree(Files.readString(f.json()));
        assertThat(json.get("waived").asInt()).isEqualTo(1);
        assertThat(count(dom, "waived")).isEqualTo(json.get("waived").asInt());
        assertThat(dom).contains("data-waiver-status=\"expired\"", "waived until 2026-06-30");
    }

    private String renderedCountsMatch(ReportWriter.ReportFiles f) throws Exception {
        JsonNode json = JSON.readTree(Files.readString(f.json()));
        String dom = run(List.of("--dump-dom", f.html().toUri().toString())).stdout();

        assertThat(dom).contains("</html>");
        JsonNode counts = json.get("counts");
        assertThat(count(dom, "fail")).isEqualTo(json.get("violations").asInt());
        assertThat(count(dom, "warning")).isEqualTo(json.get("warnings").asInt());
        assertThat(count(dom, "pass")).isEqualTo(counts.get("pass").asInt());
        assertThat(count(dom, "not-exercised")).isEqualTo(counts.get("not_exercised").asInt());
        assertThat(count(dom, "not-observable")).isEqualTo(counts.get("not_observable").asInt());
        assertThat(count(dom, "not-checked")).isEqualTo(counts.get("not_checked").asInt());
        assertThat(count(dom, "permission")).isEqualTo(counts.get("permission").asInt());
        assertThat(count(dom, "total")).isEqualTo(json.get("total").asInt());
        assertThat(first(dom, "data-result=\"([a-z]+)\"")).isEqualTo(json.get("result").asText());
        // One matrix row per requirement, each with the verdict report.json gives it.
        for (JsonNode r : json.get("requirements")) {
            String verdict = first(dom, "id=\"req-" + r.get("id").asText() + "\" data-verdict=\"([a-z-]+)\"");
            assertThat(verdict).as(r.get("id").asText()).isEqualTo(r.get("label").asText().replace('_', '-'));
        }
        // Each failure and warning has its evidence block.
        for (JsonNode r : json.get("requirements")) {
            if (List.of("fail", "waived").contains(r.get("outcome").asText())) assertThat(dom).contains("id=\"ev-" + r.get("id").asText() + "\"");
        }
        return dom;
    }

    @Test
    void screenshots() throws Exception {
        assumeChromium();
        Files.createDirectories(SCREENSHOTS);
        shoot(ReportWriter.write(SampleCertification.failing(FailOn.MUST), dir.resolve("fail")).html(), "report-fail.png", 3000);
        shoot(ReportWriter.write(SampleCertification.passing(), dir.resolve("pass")).html(), "report-pass.png", 1400);
        shoot(ReportWriter.write(SampleCertification.waived(FailOn.MUST), dir.resolve("waived")).html(), "report-waived.png", 3400);
    }

    private void shoot(Path html, String name, int height) throws Exception {
        Path png = SCREENSHOTS.resolve(name).toAbsolutePath();
        Files.copy(html, SCREENSHOTS.resolve(name.replace(".png", ".html")), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(png);
        run(List.of("--hide-scrollbars", "--window-size=1280," + height, "--screenshot=" + png, html.toUri().toString()));
        assertThat(png).isRegularFile();
        byte[] head = Files.readAllBytes(png);
        assertThat(head.length).isGreaterThan(10_000);
        assertThat(new String(head, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    private static void assumeChromium() {
        assumeTrue(chromium != null, "Chromium is not installed (Debian: apt-get install chromium, or run"
                + " scripts/install-prerequisites); report.html is not rendered in a browser");
    }

    private record Output(int status, String stdout, String stderr) {
    }

    private Output run(List<String> args) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(dir, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage", "--user-data-dir=" + profile));
        cmd.addAll(args);
        Path out = dir.resolve("chromium.out");
        Path err = dir.resolve("chromium.err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 120 s: " + String.join(" ", cmd));
        }
        Output o = new Output(p.exitValue(), Files.readString(out), Files.readString(err));
        assertThat(o.status()).as("chromium exit status; stderr:\n" + o.stderr()).isZero();
        return o;
    }

    private static int count(String dom, String name) {
        return Integer.parseInt(first(dom, "data-count-" + name + "=\"(\\d+)\""));
    }

    private static String first(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as(regex + " in the rendered page").isTrue();
        return m.group(1);
    }

    /** {@code -Dpvkit.chromium=PATH}, else chromium, chromium-browser or google-chrome on the PATH; null when none. */
    static String locate() {
        String given = System.getProperty("pvkit.chromium");
        if (given != null && !given.isBlank()) return Files.isExecutable(Path.of(given)) ? given : null;
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String d : path.split(File.pathSeparator)) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) return p.toString();
            }
        }
        return null;
    }
}
