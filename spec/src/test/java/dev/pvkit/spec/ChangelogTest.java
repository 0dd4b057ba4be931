package dev.pvkit.spec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Appendix C (the changelog) of pvspec.md agrees with the machine form: each release's Added, Withdrawn and Retired
 * lines name exactly the ids whose {@code since}, {@code withdrawn} and {@code retired} say so. Edited copies of the
 * real text show that each kind of disagreement is reported.
 */
class ChangelogTest {

    static PvSpec spec;
    static String text;

    @BeforeAll
    static void load() throws IOException {
        spec = PvSpec.load();
        text = Files.readString(SpecTextTest.SOURCE_TEXT);
    }

    @Test
    void changelogAgreesWithTheMachineForm() {
        assertThat(Changelog.problems(text, spec)).isEmpty();
    }

    @Test
    void listsEveryReleaseNewestFirst() {
        assertThat(Changelog.parse(text).releases()).extracting(Changelog.Release::version)
                .startsWith(spec.version().toString())
                .containsSubsequence("4.0.0", "3.0.0", "2.1.6", "2.1.5", "2.1.4", "2.1.3", "2.1.2", "2.1.1", "2.1.0", "2.0.1", "2.0.0", "1.0.1", "1.0.0");
    }

    static Stream<Arguments> edits() {
        return Stream.of(
                edit("an id added in the data but not in the log", "1.0.1: Added names",
                        t -> t.replace("- Added: DRV-SPLIT-044, DRV-PACKED-037,", "- Added: DRV-PACKED-037,")),
                edit("a withdrawn id missing from the log", "2.0.0: Withdrawn names {}",
                        t -> t.replace("- Withdrawn: DRV-BLK-034 (replaced by DRV-BLK-037) —", "- Withdrawn: none —")),
                edit("a withdrawal with the wrong replacement", "2.0.0: Withdrawn names {DRV-BLK-034=[DRV-BLK-038]}",
                        t -> t.replace("DRV-BLK-034 (replaced by DRV-BLK-037) —", "DRV-BLK-034 (replaced by DRV-BLK-038) —")),
                edit("the first release's count wrong", "1.0.0: Added says '845 requirements.'",
                        t -> t.replace("- Added: 844 requirements.", "- Added: 845 requirements.")),
                edit("a retired id missing", "Retired lines name",
                        t -> t.replace("- Retired: DRV-SPLIT-041, ", "- Retired: ")),
                edit("the newest entry not this version", "the newest changelog entry is 4.0.1",
                        t -> t.replace("### 4.0.0 (", "### 4.0.1 (")),
                edit("entries out of order", "1.0.0: entries must go newest first",
                        t -> t.replace("### 1.0.1 (", "### 0.9.0 (")),
                edit("a release without a Withdrawn line", "1.0.1: needs exactly one '- Withdrawn:' line",
                        t -> t.replace("- Withdrawn: none.\n- Retired: none.\n\n### 1.0.0", "- Retired: none.\n\n### 1.0.0")));
    }

    private static Arguments edit(String name, String problem, UnaryOperator<String> change) {
        return Arguments.of(name, problem, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edits")
    void reportsADisagreement(String name, String problem, UnaryOperator<String> change) {
        String edited = change.apply(text);
        assertThat(edited).as("the edit applies").isNotEqualTo(text);
        assertThat(Changelog.problems(edited, spec)).as(name).anySatisfy(p -> assertThat(p).contains(problem));
    }
}
