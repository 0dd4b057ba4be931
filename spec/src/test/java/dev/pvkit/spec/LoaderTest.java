package dev.pvkit.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
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
                .containsExactly("DRV-TEST-001", "DEV-TEST-001", "FE-TEST-001", "FE-TEST-002");
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
    void readsSinceWithdrawnAndRetired() {
        PvSpec spec = PvSpec.load(new SpecFixture().writeTo(dir));

        Requirement old = spec.requirement("FE-TEST-001").orElseThrow();
        assertThat(old.since()).as("no since: the first release").isEqualTo(SpecVersion.parse("1.0.0"));
        assertThat(old.isWithdrawn()).isFalse();
        Requirement gone = spec.requirement("FE-TEST-002").orElseThrow();
        assertThat(gone.since()).isEqualTo(SpecVersion.parse("1.1.0"));
        assertThat(gone.withdrawal()).hasValue(new Withdrawal(SpecVersion.parse("1.2.0"),
                "says what FE-TEST-001 says", List.of("FE-TEST-001")));
        assertThat(spec.inForce()).extracting(Requirement::id).doesNotContain("FE-TEST-002").contains("FE-TEST-001");
        assertThat(spec.retired()).containsExactly(new RetiredId("DRV-TEST-002", "draft id, dropped before the first release"));
    }

    @Test
    void replacedByMayBeAList() {
        PvSpec spec = PvSpec.load(new SpecFixture()
                .replace("parts/beta.yaml", "replaced-by: FE-TEST-001", "replaced-by: [FE-TEST-001, FE-TEST-003]")
                .writeTo(dir));
        assertThat(spec.requirement("FE-TEST-002").orElseThrow().withdrawn().replacedBy())
                .containsExactly("FE-TEST-001", "FE-TEST-003");
    }

    @Test
    void stillReadsSchemaOneWithoutTheVersioningKeys() {
        PvSpec spec = PvSpec.load(schemaOne().writeTo(dir));
        assertThat(spec.requirements()).allSatisfy(r -> {
            assertThat(r.since()).isEqualTo(PvSpecLoader.FIRST_RELEASE);
            assertThat(r.isWithdrawn()).isFalse();
        });
        assertThat(spec.retired()).isEmpty();
    }

    /** The fixture as schema 1 has it: no retired list, no since or withdrawn. */
    static SpecFixture schemaOne() {
        return new SpecFixture()
                .replace("pvspec.yaml", "schema: 4", "schema: 1")
                .replace("parts/alpha.yaml", "    observed-through: [transport-trace]\n", "")
                .replace("parts/beta.yaml", "    observed-through: none\n", "")
                .replace("pvspec.yaml", "retired:\n  - {id: DRV-TEST-002, reason: \"draft id, dropped before the first release\"}\n", "")
                .replace("parts/beta.yaml", "    since: 1.1.0\n", "")
                .replace("parts/beta.yaml", """
                            withdrawn:
                              in: 1.2.0
                              reason: "says what FE-TEST-001 says"
                              replaced-by: FE-TEST-001
                        """, "");
    }

    @Test
    void readsObservedThroughAndLeavesItUnstatedWhereOptional() {
        PvSpec spec = PvSpec.load(new SpecFixture()
                .replace("parts/alpha.yaml", "[transport-trace]", "[transport-trace, ring]")
                .writeTo(dir));
        Requirement drv = spec.requirement("DRV-TEST-001").orElseThrow();
        assertThat(drv.observedThrough()).containsExactly(ObservationSource.RING, ObservationSource.TRANSPORT_TRACE);
        assertThat(drv.observedThroughText()).isEqualTo("ring, transport-trace");
        assertThat(spec.requirement("FE-TEST-001").orElseThrow().observedThrough()).isEmpty();
        assertThat(spec.requirement("FE-TEST-001").orElseThrow().observedThroughText()).isEqualTo("none");
        assertThat(spec.requirement("DEV-TEST-001").orElseThrow().observation()).isEmpty();
    }

    @Test
    void schemaTwoNeedsNoObservedThrough() {
        PvSpec spec = PvSpec.load(new SpecFixture()
                .replace("pvspec.yaml", "schema: 4", "schema: 2")
                .replace("parts/alpha.yaml", "    observed-through: [transport-trace]\n", "")
                .replace("parts/beta.yaml", "    observed-through: none\n", "")
                .writeTo(dir));
        assertThat(spec.requirements()).allSatisfy(r -> assertThat(r.observation()).isEmpty());
    }

    /** The fixture with DRV-TEST-001 marked unchecked, for the reason {@code no check yet}. */
    static SpecFixture withUnchecked(SpecFixture f) {
        return f.replace("parts/alpha.yaml", "    statement: \"The driver MUST set ACKNOWLEDGE first.\"\n",
                "    statement: \"The driver MUST set ACKNOWLEDGE first.\"\n    unchecked: \"no check yet\"\n");
    }

    @Test
    void uncheckedCarriesItsReasonAndIsAbsentOtherwise() {
        PvSpec spec = PvSpec.load(withUnchecked(new SpecFixture()).writeTo(dir));
        assertThat(spec.requirement("DRV-TEST-001").orElseThrow().uncheckedReason()).contains("no check yet");
        assertThat(spec.requirement("FE-TEST-001").orElseThrow().uncheckedReason()).isEmpty();
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
                        "schema 5 is not supported",
                        f -> f.replace("pvspec.yaml", "schema: 4", "schema: 5")),
                broken("unchecked in a schema 3 file", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "unknown key 'unchecked'",
                        f -> withUnchecked(f).replace("pvspec.yaml", "schema: 4", "schema: 3")),
                broken("unchecked left blank", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'unchecked' is empty",
                        f -> f.replace("parts/alpha.yaml", "    statement: \"The driver MUST set ACKNOWLEDGE first.\"\n",
                                "    statement: \"The driver MUST set ACKNOWLEDGE first.\"\n    unchecked: \" \"\n")),
                broken("unchecked on a device requirement", "parts/alpha.yaml", "requirements[1] (DEV-TEST-001)",
                        "field 'unchecked' is set on a device requirement",
                        f -> f.replace("parts/alpha.yaml", "    statement: \"The device MUST NOT answer twice.\"\n",
                                "    statement: \"The device MUST NOT answer twice.\"\n    unchecked: \"no harness yet\"\n")),
                broken("unchecked on a rule nothing can observe", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'unchecked' is set on a requirement observable \"no\"",
                        f -> withUnchecked(f).replace("parts/alpha.yaml", "observable: \"yes\"", "observable: \"no\"")
                                .replace("parts/alpha.yaml", "[transport-trace]", "none")),
                broken("observed-through in a schema 2 file", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "unknown key 'observed-through'",
                        f -> f.replace("pvspec.yaml", "schema: 4", "schema: 2")),
                broken("driver requirement without observed-through", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "missing required field 'observed-through'",
                        f -> f.replace("parts/alpha.yaml", "    observed-through: [transport-trace]\n", "")),
                broken("unknown observation source", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' lists 'pci-registers'; expected none or a list of ring, vhost-user, transport-trace",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "[ring, pci-registers]")),
                broken("a single source not in a list", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' is 'transport-trace'; expected none or a list",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "transport-trace")),
                broken("observed-through as a mapping", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' is a mapping",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "{trace: yes}")),
                broken("an empty source list", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' is an empty list; write none",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "[]")),
                broken("none inside a list", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' lists none; none stands alone",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "[ring, none]")),
                broken("a source listed twice", "parts/alpha.yaml", "requirements[0] (DRV-TEST-001)",
                        "field 'observed-through' lists ring twice",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "[ring, transport-trace, ring]")),
                broken("since in a schema 1 file", "parts/beta.yaml", "requirements[0] (FE-TEST-001)",
                        "unknown key 'since'",
                        f -> schemaOne().replace("parts/beta.yaml", "    statement: \"The front-end SHOULD wait.\"\n",
                                "    statement: \"The front-end SHOULD wait.\"\n    since: 1.0.0\n")),
                broken("retired list in a schema 1 file", "pvspec.yaml", "(top level)", "unknown key 'retired'",
                        f -> schemaOne().replace("pvspec.yaml", "coverage:", "retired: []\ncoverage:")),
                broken("since not semver", "parts/beta.yaml", "requirements[1] (FE-TEST-002)",
                        "field 'since': '1.1' is not a semantic version",
                        f -> f.replace("parts/beta.yaml", "since: 1.1.0", "since: \"1.1\"")),
                broken("withdrawn version not semver", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "field 'in': 'soon' is not a semantic version",
                        f -> f.replace("parts/beta.yaml", "in: 1.2.0", "in: soon")),
                broken("withdrawn before it was introduced", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "withdrawn in 1.0.5, which is not after 1.1.0",
                        f -> f.replace("parts/beta.yaml", "in: 1.2.0", "in: 1.0.5")),
                broken("withdrawn in the version that introduced it", "parts/beta.yaml",
                        "requirements[1] (FE-TEST-002).withdrawn", "withdrawn in 1.1.0, which is not after 1.1.0",
                        f -> f.replace("parts/beta.yaml", "in: 1.2.0", "in: 1.1.0")),
                broken("withdrawn without a reason", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "missing required field 'reason'",
                        f -> f.replace("parts/beta.yaml", "      reason: \"says what FE-TEST-001 says\"\n", "")),
                broken("withdrawn as a bare flag", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "expected a mapping, found the boolean true",
                        f -> f.replace("parts/beta.yaml", """
                                    withdrawn:
                                      in: 1.2.0
                                      reason: "says what FE-TEST-001 says"
                                      replaced-by: FE-TEST-001
                                """, "    withdrawn: true\n")),
                broken("replaced-by not an id", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "replaced-by names 'FE-TEST-1', which is not a requirement id",
                        f -> f.replace("parts/beta.yaml", "replaced-by: FE-TEST-001", "replaced-by: FE-TEST-1")),
                broken("misspelt key in withdrawn", "parts/beta.yaml", "requirements[1] (FE-TEST-002).withdrawn",
                        "unknown key 'replaced_by'",
                        f -> f.replace("parts/beta.yaml", "replaced-by:", "replaced_by:")),
                broken("retired id malformed", "pvspec.yaml", "retired[0] (DRV-TEST-2)",
                        "retired id 'DRV-TEST-2' does not follow",
                        f -> f.replace("pvspec.yaml", "id: DRV-TEST-002", "id: DRV-TEST-2")),
                broken("retired id without a reason", "pvspec.yaml", "retired[0] (DRV-TEST-002)",
                        "missing required field 'reason'",
                        f -> f.replace("pvspec.yaml", ", reason: \"draft id, dropped before the first release\"", "")),
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
