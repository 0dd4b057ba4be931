package dev.pvkit.spec;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

/** Each consistency rule fires on the smallest spec that breaks it, so a clean result on the real spec means something. */
class ConsistencyTest {

    @TempDir
    Path dir;

    static Stream<BrokenFixture> inconsistencies() {
        return Stream.of(
                new BrokenFixture("duplicate id across parts", "parts/beta.yaml DRV-TEST-001", "id already used in parts/alpha.yaml",
                        f -> f.replace("parts/beta.yaml", "id: FE-TEST-001\n    target: front-end",
                                "id: DRV-TEST-001\n    target: driver")),
                new BrokenFixture("undeclared area", "parts/beta.yaml FE-ZZZ-001", "area ZZZ is not declared",
                        f -> f.replace("parts/beta.yaml", "FE-TEST-001", "FE-ZZZ-001")),
                new BrokenFixture("statement without its keyword", "parts/beta.yaml FE-TEST-001", "does not say 'SHOULD'",
                        f -> f.replace("parts/beta.yaml", "SHOULD wait", "waits")),
                new BrokenFixture("MUST rule that only says MUST NOT", "parts/alpha.yaml DRV-TEST-001", "does not say 'MUST'",
                        f -> f.replace("parts/alpha.yaml", "MUST set ACKNOWLEDGE first", "MUST NOT skip ACKNOWLEDGE")),
                new BrokenFixture("undeclared source", "parts/beta.yaml FE-TEST-001", "source 'vhost-user:Ring states' is not declared",
                        f -> f.replace("parts/beta.yaml", "  - {ref: \"vhost-user:Ring states\", title: \"Ring states\"}\n", "")),
                new BrokenFixture("source declared twice with two titles", "parts/beta.yaml source virtio-1.4 §2.1.1",
                        "declared with title 'Other'",
                        f -> f.replace("parts/beta.yaml", "  - {ref: \"vhost-user:Ring states\"",
                                "  - {ref: \"virtio-1.4 §2.1.1\", title: \"Other\"}\n  - {ref: \"vhost-user:Ring states\"")),
                new BrokenFixture("layout gap", "parts/alpha.yaml layout pair", "field b starts at 5 but the previous field ends at 4 (gap",
                        f -> f.replace("parts/alpha.yaml", "{name: b, offset: 4", "{name: b, offset: 5")),
                new BrokenFixture("layout overlap", "parts/alpha.yaml layout pair", "(overlap)",
                        f -> f.replace("parts/alpha.yaml", "{name: b, offset: 4", "{name: b, offset: 2")),
                new BrokenFixture("layout size", "parts/alpha.yaml layout pair", "fields add up to 8 bytes but the layout size is 12",
                        f -> f.replace("parts/alpha.yaml", "size: 8\n", "size: 12\n")),
                new BrokenFixture("array layout wrong at some Q", "parts/alpha.yaml layout ring", "(at Q=1)",
                        f -> f.replace("parts/alpha.yaml", "offset: \"4 + 2*Q\"", "offset: \"4 + 4*Q\"")),
                new BrokenFixture("zero-size field", "parts/alpha.yaml layout pair", "field a has size 0",
                        f -> f.replace("parts/alpha.yaml", "{name: a, offset: 0, size: 4", "{name: a, offset: 0, size: 0")),
                new BrokenFixture("duplicate constant", "parts/alpha.yaml constants test.status", "constant ONE appears twice",
                        f -> f.replace("parts/alpha.yaml", "{name: TWO, value: 2}", "{name: ONE, value: 2}")),
                new BrokenFixture("bit number out of range", "parts/alpha.yaml constants test.status", "outside 0..127",
                        f -> f.replace("parts/alpha.yaml", "kind: mask", "kind: bit")
                                .replace("parts/alpha.yaml", "value: 2}", "value: 200}")),
                new BrokenFixture("replaced-by names an unknown id", "parts/beta.yaml FE-TEST-002",
                        "replaced-by names FE-TEST-009, which is not in the catalog",
                        f -> f.replace("parts/beta.yaml", "replaced-by: FE-TEST-001", "replaced-by: FE-TEST-009")),
                new BrokenFixture("replaced-by names the withdrawn rule itself", "parts/beta.yaml FE-TEST-002",
                        "replaced-by names the withdrawn requirement itself",
                        f -> f.replace("parts/beta.yaml", "replaced-by: FE-TEST-001", "replaced-by: FE-TEST-002")),
                new BrokenFixture("replaced-by names a withdrawn rule", "parts/beta.yaml FE-TEST-002",
                        "replaced-by names FE-TEST-001, which is withdrawn too",
                        f -> f.replace("parts/beta.yaml", "    statement: \"The front-end SHOULD wait.\"\n",
                                "    statement: \"The front-end SHOULD wait.\"\n    withdrawn: {in: 1.2.0, reason: \"gone\"}\n")),
                new BrokenFixture("replaced-by names a rule for another target", "parts/beta.yaml FE-TEST-002",
                        "replaced-by names DRV-TEST-001, which binds the driver, not the front-end",
                        f -> f.replace("parts/beta.yaml", "replaced-by: FE-TEST-001", "replaced-by: DRV-TEST-001")),
                new BrokenFixture("a requirement reuses a retired id", "parts/alpha.yaml DRV-TEST-001",
                        "id is retired and must not be used again (draft id, dropped before the first release)",
                        f -> f.replace("pvspec.yaml", "id: DRV-TEST-002", "id: DRV-TEST-001")),
                new BrokenFixture("an id retired twice", "pvspec.yaml retired DRV-TEST-002", "id retired twice",
                        f -> f.replace("pvspec.yaml", "retired:\n", "retired:\n  - {id: DRV-TEST-002, reason: \"again\"}\n")),
                new BrokenFixture("since after the spec's version", "parts/beta.yaml FE-TEST-002",
                        "since 1.3.0 is after this version, 1.2.3",
                        f -> f.replace("parts/beta.yaml", "since: 1.1.0", "since: 1.3.0")
                                .replace("parts/beta.yaml", "in: 1.2.0", "in: 1.4.0")),
                new BrokenFixture("withdrawn after the spec's version", "parts/beta.yaml FE-TEST-002",
                        "withdrawn in 1.3.0, after this version, 1.2.3",
                        f -> f.replace("parts/beta.yaml", "in: 1.2.0", "in: 1.3.0")),
                new BrokenFixture("a dropped number not listed as retired", "pvspec.yaml retired",
                        "DEV-TEST-002 is missing from the numbering of DEV-TEST (highest 3) and is not listed as retired",
                        f -> f.replace("parts/alpha.yaml", "id: DEV-TEST-001", "id: DEV-TEST-003")
                                .replace("parts/alpha.yaml", "layouts:", """
                                          - id: DEV-TEST-001
                                            target: device
                                            strength: MAY
                                            source: "xen:xen/include/public/io/ring.h"
                                            observable: "no"
                                            how: "internal"
                                            statement: "The device MAY wait."
                                        layouts:""")),
                new BrokenFixture("observed through none but observable", "parts/alpha.yaml DRV-TEST-001",
                        "observed through none but observable is 'yes'",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "none")),
                new BrokenFixture("not observable but observed through a source", "parts/beta.yaml FE-TEST-001",
                        "observable is 'no' but observed through vhost-user",
                        f -> f.replace("parts/beta.yaml", "observed-through: none", "observed-through: [vhost-user]")),
                new BrokenFixture("Xen and vhost-user-side sources mixed", "parts/alpha.yaml DRV-TEST-001",
                        "observed through ring, xenstore: Xen sources",
                        f -> f.replace("parts/alpha.yaml", "[transport-trace]", "[ring, xenstore]")),
                new BrokenFixture("coverage section never cited by a driver rule", "pvspec.yaml coverage",
                        "no driver requirement cites virtio-1.4 §2.1.1",
                        f -> f.replace("parts/alpha.yaml", "target: driver\n    strength: MUST\n    source: \"virtio-1.4 §2.1.1\"",
                                "target: driver\n    strength: MUST\n    source: \"xen:xen/include/public/io/ring.h\"")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inconsistencies")
    void reportsTheProblemAndWhereItIs(BrokenFixture broken) {
        broken.assertReportedBy(SpecConsistency::check, dir, "problems found in a spec with a " + broken.name());
    }
}
