package dev.pvkit.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The catalog keeps every released id: none disappears (withdrawn is allowed), and within a major version none
 * changes target or strength ({@code released-ids.tsv}, §3.2 of the text). To add new ids and refresh statement
 * hashes after an edit: {@code mvn -pl spec test -Dtest=ReleasedIdsTest -Dpvkit.spec.recordReleased=true}.
 */
class ReleasedIdsTest {

    static final Path LIST = Path.of("src/test/resources/dev/pvkit/spec/released-ids.tsv");

    @TempDir
    Path dir;

    @Test
    void theCatalogKeepsEveryReleasedId() throws IOException {
        PvSpec spec = PvSpec.load();
        ReleasedIds released = ReleasedIds.read(LIST);
        if (Boolean.getBoolean("pvkit.spec.recordReleased")) {
            released = released.recordedFrom(spec);
            released.write(LIST);
        }
        assertThat(released.problems(spec)).as("released ids against the catalog of %s", spec.version()).isEmpty();
        assertThat(released.rows()).hasSize(spec.requirements().size());
    }

    @Test
    void theListHoldsTheReleasesHistory() throws IOException {
        ReleasedIds released = ReleasedIds.read(LIST);
        assertThat(released.major()).isEqualTo(4);
        assertThat(released.rows()).filteredOn(r -> r.since().equals(SpecVersion.parse("1.0.0"))).hasSize(844);
        assertThat(released.rows()).filteredOn(r -> r.since().equals(SpecVersion.parse("1.0.1")))
                .extracting(ReleasedIds.Row::id)
                .containsExactlyInAnyOrder("DRV-SPLIT-044", "DRV-PACKED-037", "DRV-PACKED-038", "DRV-PACKED-039");
        assertThat(released.rows()).filteredOn(r -> r.since().equals(SpecVersion.parse("2.0.0")))
                .extracting(ReleasedIds.Row::id)
                .containsExactlyInAnyOrderElementsOf(java.util.stream.Stream.concat(java.util.stream.Stream.of("BE-VU-058"),
                        java.util.stream.IntStream.rangeClosed(1, 29).mapToObj(n -> String.format("DRV-PCI-%03d", n))).toList());
        assertThat(released.rows()).filteredOn(r -> r.id().equals("BE-VU-014"))
                .singleElement().extracting(ReleasedIds.Row::strength).isEqualTo("MUST NOT");
    }

    /**
     * Ways of breaking the fixture spec against the list recorded from it intact. (A target cannot change under the
     * same id at all: the id's prefix names the target and the loader rejects a mismatch.)
     */
    static Stream<BrokenFixture> brokenPromises() {
        return Stream.of(
                new BrokenFixture("a released id deleted", "", "DEV-TEST-001 was released in 1.0.0 and is gone from the catalog",
                        f -> f.replace("parts/alpha.yaml", """
                                  - id: DEV-TEST-001
                                    target: device
                                    strength: MUST NOT
                                    source: "xen:xen/include/public/io/ring.h"
                                    observable: "partly"
                                    how: "seen in responses"
                                    statement: "The device MUST NOT answer twice."
                                """, "")),
                new BrokenFixture("a strength changed", "", "DRV-TEST-001 is MUST in major version 1 but the catalog says SHOULD",
                        f -> f.replace("parts/alpha.yaml", "strength: MUST\n", "strength: SHOULD\n")
                                .replace("parts/alpha.yaml", "The driver MUST set", "The driver SHOULD set")),
                new BrokenFixture("MUST turned into MUST NOT", "", "DRV-TEST-001 is MUST in major version 1 but the catalog says MUST NOT",
                        f -> f.replace("parts/alpha.yaml", "strength: MUST\n", "strength: MUST NOT\n")
                                .replace("parts/alpha.yaml", "The driver MUST set ACKNOWLEDGE first", "The driver MUST NOT skip ACKNOWLEDGE")),
                new BrokenFixture("a statement changed", "", "DEV-TEST-001: the statement changed since it was recorded",
                        f -> f.replace("parts/alpha.yaml", "MUST NOT answer twice", "MUST NOT answer three times")),
                new BrokenFixture("since rewritten", "", "FE-TEST-002 was first released in 1.1.0 but the catalog says since 1.0.0",
                        f -> f.replace("parts/beta.yaml", "    since: 1.1.0\n", "")),
                new BrokenFixture("a released id retired", "", "DRV-TEST-001 was released, so it cannot be retired",
                        f -> f.replace("pvspec.yaml", "id: DRV-TEST-002", "id: DRV-TEST-001")),
                new BrokenFixture("a new id not recorded", "", "DEV-TEST-002 is in the catalog of 1.2.3 but not in the released-id list",
                        f -> f.replace("parts/alpha.yaml", "layouts:", """
                                  - id: DEV-TEST-002
                                    target: device
                                    strength: MAY
                                    source: "xen:xen/include/public/io/ring.h"
                                    observable: "no"
                                    how: "internal"
                                    statement: "The device MAY wait."
                                layouts:""")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenPromises")
    void reportsABrokenPromise(BrokenFixture broken) {
        ReleasedIds recorded = ReleasedIds.of(PvSpec.load(new SpecFixture().writeTo(dir.resolve("intact"))));
        PvSpec changed = PvSpec.load(broken.breakIt().apply(new SpecFixture()).writeTo(dir.resolve("changed")));

        assertThat(recorded.problems(changed)).as(broken.name()).anySatisfy(p -> assertThat(p).contains(broken.message()));
    }

    @Test
    void aWithdrawalKeepsThePromise() {
        ReleasedIds recorded = ReleasedIds.of(PvSpec.load(new SpecFixture().writeTo(dir.resolve("intact"))));
        PvSpec changed = PvSpec.load(new SpecFixture()
                .replace("pvspec.yaml", "version: 1.2.3", "version: 1.3.0")
                .replace("parts/alpha.yaml", "    statement: \"The device MUST NOT answer twice.\"\n",
                        "    statement: \"The device MUST NOT answer twice.\"\n"
                                + "    withdrawn: {in: 1.3.0, reason: \"not needed\"}\n")
                .writeTo(dir.resolve("changed")));

        assertThat(recorded.problems(changed)).isEmpty();
    }

    @Test
    void aNewMajorVersionMayChangeAStrengthOnceReRecorded() {
        ReleasedIds recorded = ReleasedIds.of(PvSpec.load(new SpecFixture().writeTo(dir.resolve("intact"))));
        PvSpec major2 = PvSpec.load(new SpecFixture()
                .replace("pvspec.yaml", "version: 1.2.3", "version: 2.0.0")
                .replace("parts/alpha.yaml", "strength: MUST\n", "strength: SHOULD\n")
                .replace("parts/alpha.yaml", "The driver MUST set", "The driver SHOULD set")
                .writeTo(dir.resolve("changed")));

        assertThat(recorded.problems(major2)).anySatisfy(p -> assertThat(p).contains("re-record it for the new major version"));
        ReleasedIds reRecorded = recorded.recordedFrom(major2);
        assertThat(reRecorded.major()).isEqualTo(2);
        assertThat(reRecorded.problems(major2)).isEmpty();
    }

    @Test
    void recordingNeverHidesADeletionOrAStrengthChange() throws IOException {
        ReleasedIds recorded = ReleasedIds.of(PvSpec.load(new SpecFixture().writeTo(dir.resolve("intact"))));
        PvSpec changed = PvSpec.load(new SpecFixture()
                .replace("parts/alpha.yaml", "strength: MUST\n", "strength: SHOULD\n")
                .replace("parts/alpha.yaml", "The driver MUST set", "The driver SHOULD set")
                .replace("parts/beta.yaml", """
                          - id: FE-TEST-001
                            target: front-end
                            strength: SHOULD
                            source: "vhost-user:Ring states"
                            observable: "no"
                            how: "internal"
                            observed-through: none
                            statement: "The front-end SHOULD wait."
                        """, "")
                .replace("parts/beta.yaml", "      replaced-by: FE-TEST-001\n", "")
                .writeTo(dir.resolve("changed")));

        ReleasedIds again = recorded.recordedFrom(changed);
        Path file = dir.resolve("released-ids.tsv");
        again.write(file);

        assertThat(ReleasedIds.read(file)).isEqualTo(again);
        assertThat(again.problems(changed))
                .anySatisfy(p -> assertThat(p).contains("FE-TEST-001 was released in 1.0.0 and is gone"))
                .anySatisfy(p -> assertThat(p).contains("DRV-TEST-001 is MUST in major version 1 but the catalog says SHOULD"));
        assertThat(Files.readString(file)).contains("# major 1\n");
    }
}
