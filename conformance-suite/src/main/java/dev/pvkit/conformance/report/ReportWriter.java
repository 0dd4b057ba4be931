package dev.pvkit.conformance.report;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a certification's three reports into a directory: {@code report.json} (for programs, see {@link JsonReport}),
 * {@code junit.xml} (for CI servers, see {@link JunitReport}) and {@code report.html} (for people, see
 * {@link HtmlReport}). Existing files of those names are replaced.
 */
public final class ReportWriter {
    public static final String JSON = "report.json";
    public static final String JUNIT = "junit.xml";
    public static final String HTML = "report.html";

    /** The files written. */
    public record ReportFiles(Path json, Path junit, Path html) {
        public List<Path> all() {
            return List.of(json, junit, html);
        }
    }

    private ReportWriter() {
    }

    /** Writes the reports with the specification shipped in the pvkit-spec jar (area names, feature bit names). */
    public static ReportFiles write(Certification c, Path dir) throws IOException {
        return write(c, PvSpec.load(), dir);
    }

    /**
     * Writes the three reports into {@code dir}, creating it when missing.
     *
     * @throws IOException with a one-line message naming the directory or file when it cannot be written
     */
    public static ReportFiles write(Certification c, PvSpec spec, Path dir) throws IOException {
        return write(c, null, spec, dir);
    }

    /**
     * Writes a merged report: the three reports of {@code c}, the certification merged over a matrix's cells, each
     * with {@code matrix}, what became of every planned cell (null: an ordinary report).
     *
     * @throws IOException with a one-line message naming the directory or file when it cannot be written
     */
    public static ReportFiles write(Certification c, MatrixPart matrix, PvSpec spec, Path dir) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException("report directory " + dir + " cannot be created (" + reason(e) + ")", e);
        }
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new IOException("report directory " + dir + " cannot be written (not a writable directory)");
        }
        ReportFiles out = new ReportFiles(dir.resolve(JSON), dir.resolve(JUNIT), dir.resolve(HTML));
        try {
            new JsonReport(spec).write(c, matrix, out.json());
        } catch (IOException e) {
            throw failed(out.json(), e);
        }
        try {
            new JunitReport(spec).write(c, matrix, out.junit());
        } catch (IOException e) {
            throw failed(out.junit(), e);
        }
        try {
            new HtmlReport(spec).write(c, matrix, out.html());
        } catch (IOException e) {
            throw failed(out.html(), e);
        }
        return out;
    }

    private static IOException failed(Path file, IOException e) {
        return new IOException("report " + file + " cannot be written (" + reason(e) + ")", e);
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        String type = e.getClass().getSimpleName();
        return m == null ? type : type + ": " + m.replace('\n', ' ');
    }
}
