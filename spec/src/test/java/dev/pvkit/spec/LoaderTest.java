package dev.pvkit.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class LoaderTest {

    @TempDir
    Path dir;

    @Test
    void loadsAValidSpecIntoTypedRecords() {
        PvSpec spec = PvSpec.load(new SpecFixture().writeTo(dir));

        assertThat(spec.version()).isEqualTo(new SpecVersion(1, 2, 3, ""));
        assertThat(spec.citation()).isEqualTo("Test spec 1.2.3");
        assertThat(spec.requirements()).extracting(Requirement::id)
                .containsExactly("DRV-TEST-001", "DEV-TEST-001", "FE-TEST-001");
        Requirement r = spec.requirement("DEV-TEST-001").orElseThrow();
        assertThat(r.target()).isEqualTo(Target.DEVICE);
        assertThat(r.strength()).isEqualTo(Strength.MUST_NOT);
        assertThat(r.area()).isEqualTo("TEST");
        assertThat(r.observable()).isEqualTo(Observability.PARTLY);
        assertThat(r.source().kind()).isEqualTo(SourceRef.Kind.XEN);
        assertThat(r.part()).isEqualTo("alpha");
        assertThat(spec.layout("ring").orElseThrow().size().at(256)).isEqualTo(6 + 512);
        assertThat(spec.constant("test.status", "TWO")).isEqualTo(2);
        assertThat(SpecConsistency.check(spec)).isEmpty();
    }

    @Test
    void unquotedYesAndNoMeanWhatTheySay() {
        PvSpec spec = PvSpec.load(new SpecFixture()
                .replace("parts/alpha.yaml", "observable: \"yes\"", "observable: yes")
                .replace("parts/beta.yaml", "observable: \"no\"", "observable: no")
                .writeTo(dir));
        assertThat(spec.requirement("DRV-TEST-001").orElseThrow().observable()).isEqualTo(Observability.YES);
        assertThat(spec.requirement("FE-TEST-001").orElseThrow().observable()).isEqualTo(Observability.NO);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                broken("missing strength", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "missing required field 'strength'",
                        f -> f.replace("parts/alpha.yaml", "    strength: MUST\n", "")),
                broken("unknown strength", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'strength' is 'MUSTN'T'",
                        f -> f.replace("parts/alpha.yaml", "strength: MUST\n", "strength: MUSTN'T\n")),
                broken("bad id", "parts/alpha.yaml", "requirements[0] (DRV-test-1)",
                        "does not follow <DRV|DEV|FE|BE>-<AREA>-<NNN>",
                        f -> f.replace("parts/alpha.yaml", "DRV-TEST-001", "DRV-test-1")),
                broken("prefix against target", "parts/alpha.yaml", "requirements[1] (DEV-TEST-001)",
                        "id prefix DEV does not match target driver",
                        f -> f.replace("parts/alpha.yaml", "target: device", "target: driver")),
                broken("unknown target", "parts/beta.yaml", "requirements[0] (FE-TEST-001)",
                        "field 'target' is 'frontend'",
                        f -> f.replace("parts/beta.yaml", "target: front-end", "target: frontend")),
                broken("bad observability", "parts/alpha.yaml", "requirements[1] (DEV-TEST-001)",
                        "field 'observable' is 'sometimes'",
                        f -> f.replace("parts/alpha.yaml", "\"partly\"", "sometimes")),
                broken("malformed source", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "source 'virtio 1.4 section 2.1.1' is not a source reference",
                        f -> f.replace("parts/alpha.yaml", "source: \"virtio-1.4 §2.1.1\"\n    observable",
                                "source: \"virtio 1.4 section 2.1.1\"\n    observable")),
                broken("unknown key", "parts/beta.yaml", "requirements[0] (FE-TEST-001)",
                        "unknown key 'statment'",
                        f -> f.replace("parts/beta.yaml", "statement:", "statment:")),
                broken("version not semver", "pvspec.yaml", "(top level)",
                        "'1.2' is not a semantic version",
                        f -> f.replace("pvspec.yaml", "version: 1.2.3", "version: \"1.2\"")),
                broken("schema from the future", "pvspec.yaml", "(top level)",
                        "schema 2 is not supported",
                        f -> f.replace("pvspec.yaml", "schema: 1", "schema: 2")),
                broken("missing part file", "parts/beta.yaml", "(file)", "file not found",
                        f -> f.remove("parts/beta.yaml")),
                broken("part named wrongly", "parts/beta.yaml", "(top level)",
                        "field 'part' is 'gamma'",
                        f -> f.replace("parts/beta.yaml", "part: beta", "part: gamma")),
                broken("YAML syntax", "parts/beta.yaml", "line ", "not valid YAML",
                        f -> f.replace("parts/beta.yaml", "    how: \"internal\"", "    how: [unclosed")),
                broken("layout formula", "parts/alpha.yaml", "layouts[1] (ring)",
                        "'6 + 2*N' is not a sum of integers and multiples of Q",
                        f -> f.replace("parts/alpha.yaml", "size: \"6 + 2*Q\"", "size: \"6 + 2*N\"")),
                broken("layout alignment", "parts/alpha.yaml", "layouts[0] (pair)",
                        "'align' must be a power of two, found 3",
                        f -> f.replace("parts/alpha.yaml", "align: 4", "align: 3")),
                broken("constant value not a number", "parts/alpha.yaml",
                        "constants[0] (test.status).values[1] (TWO)", "field 'value' must be an integer",
                        f -> f.replace("parts/alpha.yaml", "value: 2}", "value: two}")),
                broken("constant kind", "parts/alpha.yaml", "constants[0] (test.status)",
                        "field 'kind' is 'flags'",
                        f -> f.replace("parts/alpha.yaml", "kind: mask", "kind: flags")),
                broken("area code", "pvspec.yaml", "areas[0]", "area code 'Test'",
                        f -> f.replace("pvspec.yaml", "code: TEST", "code: Test")));
    }

    private static Arguments broken(String name, String file, String entry, String problem,
                                    UnaryOperator<SpecFixture> breakIt) {
        return Arguments.of(name, file, entry, problem, breakIt);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedFilesNamingFileEntryAndProblem(String name, String file, String entry, String problem,
                                                          UnaryOperator<SpecFixture> breakIt) {
        Path folder = breakIt.apply(new SpecFixture()).writeTo(dir);

        SpecFormatException e = catchThrowableOfType(SpecFormatException.class, () -> PvSpec.load(folder));

        assertThat(e).as("loading a spec with a %s", name).isNotNull();
        assertThat(e.file()).isEqualTo(folder.resolve(file).toString());
        assertThat(e.entry()).startsWith(entry);
        assertThat(e.problem()).contains(problem);
        assertThat(e.getMessage()).startsWith(folder.resolve(file) + ": " + entry);
    }
}
