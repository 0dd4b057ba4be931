package dev.pvkit.conformance.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The pvkit command as a user meets it: clear one-line errors with exit code 2, and the benchmark's output. */
class CliTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Pvkit.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void badOptionsGiveOneClearLineAndExitCode2() {
        Run r = run("backend", "blk", "--socket");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElse("")).startsWith("pvkit: ").contains("--socket");
        assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");

        Run unknown = run("frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("pvkit: Unmatched argument");
    }

    @Test
    void missingFilesAndBadValuesAreUserErrors() {
        Run missing = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", dir.resolve("nope.img").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("pvkit: image " + dir.resolve("nope.img") + " does not exist (give --size to create it)\n");

        Run size = run("bench", "blk", "--size", "lots");
        assertThat(size.exit()).isEqualTo(2);
        assertThat(size.err()).isEqualTo("pvkit: 'lots' is not a size (examples: 4096, 256M, 4G)\n");

        Run both = run("backend", "blk", "--socket", dir.resolve("s.sock").toString(), "--image", "x", "--size", "1M", "--packed", "--split");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--packed and --split exclude each other");
    }

    @Test
    void versionNamesTheSpec() {
        Run r = run("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("PVKit specification 1.0.1");
    }

    /** Acceptance of issue #5: the comparison runs in a test and prints both numbers (not a speed assertion). */
    @Test
    void benchCompareMeasuresBothBackendsAndPrintsRatios() {
        Run r = run("bench", "blk", "--compare", "--duration", "300ms", "--size", "16M", "--depths", "1,8");
        assertThat(r.exit()).as(r.err()).isZero();
        for (String target : new String[]{"pvkit/tmpfs", "qsd/tmpfs", "pvkit/null", "qsd/null"}) {
            assertThat(r.out().lines().filter(l -> l.startsWith(target + " ")))
                    .as("result rows for %s", target).hasSize(4)
                    .allSatisfy(l -> assertThat(l).matches(target + "\\s+rand(read|write)\\s+\\d+\\s+[1-9]\\d*\\s+[\\d.]+\\s+[\\d.]+"));
        }
        assertThat(r.out().lines().filter(l -> l.matches("\\s+(tmpfs|null)\\s+rand(read|write)\\s+QD\\d+\\s+IOPS [\\d.]+\\s+p99 [\\d.]+")))
                .hasSize(8);
    }
}
