package dev.pvkit.conformance.profile;

import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.SpecVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Profiles: the bundled ones, a file by path, and one clear line naming the file and field for each mistake. */
class ProfilesTest {
    static final SpecVersion SPEC = PvSpec.load().version();

    @TempDir
    Path dir;

    static final String GOOD = """
            name: my-blk
            description: "mine"
            device: virtio-blk
            spec-version: "%s"
            requirements: must+should
            feature-sets:
              - {name: a, ring: split, event_idx: true, indirect_desc: false, queues: 2}
              - {name: b, ring: packed}
            tries: 7
            time-budget: 90s
            """.formatted(SPEC.major() + "." + SPEC.minor());

    @Test
    void theBundledProfilesLoadAndBlkIsTheDefault() {
        assertThat(Profiles.DEFAULT).isEqualTo("blk");
        for (String name : Profiles.BUNDLED) {
            Profile p = Profiles.load(name);
            assertThat(p.name()).as("a bundled profile's name is its file name").isEqualTo(name);
            assertThat(p.source()).isEqualTo("bundled");
            assertThat(p.device()).isEqualTo("virtio-blk");
            assertThat(p.featureSets()).isNotEmpty();
        }
        Profile blk = Profiles.load("blk");
        Profile quick = Profiles.load("blk-quick");
        assertThat(blk.requirements()).as("the default keeps --fail-on must's behaviour").isEqualTo(RequirementSet.MUST);
        assertThat(quick.tries()).isLessThan(blk.tries());
        assertThat(quick.timeBudget()).isLessThan(blk.timeBudget());
        assertThat(blk.featureSets()).extracting(f -> f.ring()).contains(FeatureSet.Ring.SPLIT, FeatureSet.Ring.PACKED);
    }

    /** Every profile in the resource folder is listed as bundled, and every listed one is there. */
    @Test
    void theBundledListMatchesTheResourceFolder() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources").resolve(Profiles.RESOURCE_DIR))) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).map(n -> n.replace(".yaml", "")))
                    .containsExactlyInAnyOrderElementsOf(Profiles.BUNDLED);
        }
    }

    @Test
    void aFileByPathWithEveryField() throws IOException {
        Path f = Files.writeString(dir.resolve("p.yaml"), GOOD);
        Profile p = Profiles.load(f.toString(), SPEC);
        assertThat(p.name()).isEqualTo("my-blk");
        assertThat(p.source()).isEqualTo(f.toString());
        assertThat(p.requirements()).isEqualTo(RequirementSet.MUST_AND_SHOULD);
        assertThat(p.requirements().failOn()).isEqualTo(FailOn.SHOULD);
        assertThat(p.featureSets()).containsExactly(new FeatureSet("a", FeatureSet.Ring.SPLIT, true, false, 2),
                new FeatureSet("b", FeatureSet.Ring.PACKED, false, false, 1));
        assertThat(p.tries()).isEqualTo(7);
        assertThat(p.timeBudget()).isEqualTo(Duration.ofSeconds(90));
        assertThat(p.facts()).containsEntry("requirement set", "must+should").containsEntry("time budget", "90s")
                .containsEntry("feature sets", "a (split, event_idx, 2 queues); b (packed, 1 queue)");
    }

    @Test
    void optionalFieldsTakeTheirDefaults() throws IOException {
        Path f = Files.writeString(dir.resolve("p.yaml"), """
                name: min
                device: virtio-blk
                spec-version: "%s"
                feature-sets: [{name: only, ring: split}]
                """.formatted(SPEC.major() + "." + SPEC.minor()));
        Profile p = Profiles.load(f.toString(), SPEC);
        assertThat(p.requirements()).isEqualTo(RequirementSet.MUST);
        assertThat(p.tries()).isEqualTo(ProfileParser.DEFAULT_TRIES);
        assertThat(p.timeBudget()).isEqualTo(ProfileParser.DEFAULT_TIME_BUDGET);
        assertThat(p.description()).isEmpty();
    }

    @Test
    void aNameThatIsNeitherBundledNorAFileListsTheBundledNames() {
        assertThatThrownBy(() -> Profiles.load("blk-full", SPEC)).isInstanceOf(InvalidFileException.class)
                .hasMessage("no profile 'blk-full': it is neither a bundled profile (blk, blk-quick) nor an existing file");
    }

    @Test
    void aProfileForAnotherSpecVersionIsRefused() throws IOException {
        Path f = Files.writeString(dir.resolve("old.yaml"), GOOD.replace("\"" + SPEC.major() + "." + SPEC.minor() + "\"", "\"1.9\""));
        assertThatThrownBy(() -> Profiles.load(f.toString(), SPEC)).hasMessage("profile " + f + ": field 'spec-version' is 1.9, "
                + "but this PVKit checks against specification " + SPEC + " (MAJOR.MINOR must match: " + SPEC.major() + "." + SPEC.minor() + ")");
        // The patch level does not matter: profiles name MAJOR.MINOR.
        assertThat(Profiles.load("blk", new SpecVersion(SPEC.major(), SPEC.minor(), SPEC.patch() + 7, null)).name()).isEqualTo("blk");
        assertThatThrownBy(() -> Profiles.load("blk", new SpecVersion(SPEC.major(), SPEC.minor() + 1, 0, null)))
                .hasMessageStartingWith("profile blk (bundled): field 'spec-version' is ");
    }

    /** Each mistake: the file, the place and the field in one line. */
    @Test
    void everyFieldIsChecked() throws IOException {
        refused(GOOD.replace("tries: 7", "tries: 7\ntires: 9"), "unknown field 'tires' (known: name, description, device, "
                + "spec-version, requirements, feature-sets, tries, time-budget)");
        refused(GOOD.replace("name: my-blk\n", ""), "missing required field 'name'");
        refused(GOOD.replace("name: my-blk", "name: My Blk"), "field 'name' must be lower case letters");
        refused(GOOD.replace("device: virtio-blk", "device: virtio-net"), "field 'device' is 'virtio-net', which pvkit certify cannot serve");
        refused(GOOD.replace("\"" + SPEC.major() + "." + SPEC.minor() + "\"", SPEC.major() + "." + SPEC.minor()),
                "field 'spec-version' must be text, found the number " + SPEC.major() + "." + SPEC.minor() + " (quote it)");
        refused(GOOD.replace("\"" + SPEC.major() + "." + SPEC.minor() + "\"", "\"2.1.0\""), "field 'spec-version' must be MAJOR.MINOR");
        refused(GOOD.replace("requirements: must+should", "requirements: should"), "field 'requirements' must be 'must'");
        refused(GOOD.replace("tries: 7", "tries: 0"), "field 'tries' must be at least 1, got 0");
        refused(GOOD.replace("tries: 7", "tries: many"), "field 'tries' must be a whole number, found 'many'");
        refused(GOOD.replace("time-budget: 90s", "time-budget: 5 minutes"), "field 'time-budget' must be a duration above zero");
        refused(GOOD.replace("time-budget: 90s", "time-budget: 0m"), "field 'time-budget' must be a duration above zero");
        refused(GOOD.replace("ring: packed", "ring: ring"), "feature-sets[2]: field 'ring' must be split or packed, got 'ring'");
        refused(GOOD.replace("queues: 2", "queues: 65"), "feature-sets[1]: field 'queues' must be 1..64, got 65");
        refused(GOOD.replace("event_idx: true", "event_idx: yes please"), "feature-sets[1]: field 'event_idx' must be true or false");
        refused(GOOD.replace("queues: 2}", "queues: 2, mq: true}"), "feature-sets[1]: unknown field 'mq'");
        refused(GOOD.replace("{name: b, ring: packed}", "{name: a, ring: packed}"), "feature-sets[2]: field 'name' 'a' is used by an earlier feature set");
        refused(GOOD.replace("{name: b, ring: packed}", "{name: b, ring: split, event_idx: true, queues: 2}"),
                "feature-sets[2]: asks for the same features as feature set 'a'");
        refused(GOOD.replace("feature-sets:\n  - {name: a, ring: split, event_idx: true, indirect_desc: false, queues: 2}\n  - {name: b, ring: packed}",
                "feature-sets: []"), "field 'feature-sets' is an empty list");
        refused("name: [unclosed", "not valid YAML at line 1");
        refused("", "the file is empty");
        refused("- just\n- a list\n", "expected a mapping of fields, found a list");
    }

    private void refused(String text, String expected) throws IOException {
        Path f = Files.writeString(dir.resolve("bad.yaml"), text);
        assertThatThrownBy(() -> Profiles.load(f.toString(), SPEC)).as(expected).isInstanceOf(InvalidFileException.class)
                .satisfies(e -> assertThat(e.getMessage()).startsWith("profile " + f + ": ").contains(expected).doesNotContain("\n"));
    }

    @Test
    void aDirectoryIsNotAProfile() {
        assertThatThrownBy(() -> Profiles.load(dir.toString(), SPEC)).hasMessage("profile " + dir + ": not a regular file");
    }
}
