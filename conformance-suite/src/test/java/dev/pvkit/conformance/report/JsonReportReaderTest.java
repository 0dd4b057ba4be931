package dev.pvkit.conformance.report;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.FailOn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * report.json read back is the certification it was written from: writing what was read gives the same JSON, for a
 * run with waivers of every status and for one whose generated behaviour failed. What merge relies on.
 */
class JsonReportReaderTest {
    @TempDir
    Path dir;

    private final JsonReport writer = new JsonReport(SampleCertification.SPEC);
    private final JsonReportReader reader = new JsonReportReader(SampleCertification.SPEC);

    @Test
    void whatIsReadBackWritesTheSameReport() throws Exception {
        for (Certification c : new Certification[]{SampleCertification.waived(FailOn.MUST), SampleCertification.failing(FailOn.SHOULD),
                SampleCertification.explorationFailed()}) {
            Path file = dir.resolve("report.json");
            writer.write(c, file);
            Certification back = reader.read(file);
            assertThat(writer.tree(back)).isEqualTo(writer.tree(c));
            assertThat(back.failed()).isEqualTo(c.failed());
            assertThat(back.verdicts()).extracting(v -> v.requirement()).containsExactlyElementsOf(c.verdicts().stream().map(v -> v.requirement()).toList());
        }
    }

    @Test
    void aReportThisPvkitCannotReadIsOneLineNamingTheFile() throws Exception {
        Path file = dir.resolve("report.json");
        String good = writer.tree(SampleCertification.failing(FailOn.MUST)).toString();
        Files.writeString(file, good.replace("\"pvkit-report/2\"", "\"pvkit-report/1\""));
        assertThatThrownBy(() -> reader.read(file)).hasMessage(file + ": format pvkit-report/1, but this PVKit reads pvkit-report/2");
        Files.writeString(file, good.replace("\"spec_version\":\"" + SampleCertification.SPEC.version() + "\"", "\"spec_version\":\"1.0.0\""));
        assertThatThrownBy(() -> reader.read(file)).hasMessage(file + ": made against specification 1.0.0, but this PVKit checks against "
                + SampleCertification.SPEC.version());
        Files.writeString(file, good.replace("\"DRV-SPLIT-009\"", "\"DRV-SPLIT-999\""));
        assertThatThrownBy(() -> reader.read(file)).hasMessageStartingWith(file + ": requirement DRV-SPLIT-999 is not in ");
        Files.writeString(file, "{ truncated");
        assertThatThrownBy(() -> reader.read(file)).hasMessageStartingWith(file + ": not a JSON report (");
    }
}
