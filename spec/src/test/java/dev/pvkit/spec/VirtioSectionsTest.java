package dev.pvkit.spec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every virtio section the spec cites is checked against the real virtio 1.4 headings
 * ({@code src/test/resources/dev/pvkit/spec/virtio-1.4-sections.tsv}): the number exists, the declared title is its
 * heading, coverage entries are driver-normative blocks, and no rule cites a legacy-interface section. This catches
 * numbering slips such as counting §2.7.8's "Device Requirements" block as §2.7.8.1 (that number is the legacy note).
 */
class VirtioSectionsTest {

    static VirtioHeadings headings;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        headings = VirtioHeadings.load();
    }

    @Test
    void theTableIsTheWholeHeadingListOfVirtio14() {
        assertThat(headings.titles()).hasSize(908);
        // Headings whose source spans two lines of LaTeX, and the blocks numbered after them.
        assertThat(headings.title("2.7.8.1")).hasValue("Legacy Interface: The Virtqueue Used Ring");
        assertThat(headings.title("2.7.8.2")).hasValue("Device Requirements: The Virtqueue Used Ring");
        assertThat(headings.title("2.7.8.3")).hasValue("Driver Requirements: The Virtqueue Used Ring");
        assertThat(headings.title("5.1.9.4.2")).hasValue("Driver Requirements: Processing of Incoming Packets");
        assertThat(headings.title("5.1.9.4.4.5")).hasValue("Driver Requirements: Inner Header Hash");
        assertThat(headings.title("2.8.21.3.1")).hasValue("Driver Requirements: Sending Available Buffer Notifications");
        assertThat(headings.title("2.1")).hasValue("Device Status Field");
    }

    @Test
    void everyVirtioCitationOfTheShippedSpecMatchesTheRealHeadings() {
        List<SpecConsistency.Problem> problems = headings.check(PvSpec.load());
        assertThat(problems).as("virtio citation problems:%n%s", String.join("\n", problems.stream().map(Object::toString).toList()))
                .isEmpty();
    }

    @Test
    void theShippedSpecDeclaresItsVirtioSources() {
        assertThat(PvSpec.load().sources()).filteredOn(s -> s.ref().kind() == SourceRef.Kind.VIRTIO)
                .hasSizeGreaterThan(100);
    }

    @Test
    void coverageCommentsOfTheShippedIndexNameTheRealHeadings() throws IOException {
        String index;
        try (InputStream in = PvSpec.class.getClassLoader().getResourceAsStream(PvSpec.RESOURCE_ROOT + PvSpecLoader.INDEX)) {
            assertThat(in).as("pvspec.yaml on the classpath").isNotNull();
            index = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(headings.checkCoverageComments(index)).isEmpty();
        assertThat(headings.checkCoverageComments(index.replace("# Driver Requirements: The Virtqueue Used Ring",
                "# Device Requirements: The Virtqueue Used Ring")))
                .singleElement().satisfies(p -> assertThat(p.message()).contains("but the heading is 'Driver Requirements"));
    }

    // ---- the check fails where it should (on the small fixture spec, which is clean against the table) ----

    @Test
    void theFixtureIsCleanAgainstTheTable() {
        assertThat(headings.check(PvSpec.load(new SpecFixture().writeTo(dir)))).isEmpty();
    }

    static Stream<BrokenFixture> wrongCitations() {
        return Stream.of(
                new BrokenFixture("declared title is another section's", "parts/alpha.yaml source virtio-1.4 §2.1.1",
                        "declared title 'Device Requirements: Device Status Field' but virtio 1.4 §2.1.1 is 'Driver Requirements: Device Status Field'",
                        f -> f.replace("parts/alpha.yaml", "title: \"Driver Requirements: Device Status Field\"",
                                "title: \"Device Requirements: Device Status Field\"")),
                new BrokenFixture("declared section does not exist", "parts/alpha.yaml source virtio-1.4 §5.1.9.4.3.5",
                        "virtio 1.4 has no section 5.1.9.4.3.5",
                        f -> f.replace("parts/alpha.yaml", "  - {ref: \"xen:",
                                "  - {ref: \"virtio-1.4 §5.1.9.4.3.5\", title: \"Driver Requirements: Inner Header Hash\"}\n  - {ref: \"xen:")),
                new BrokenFixture("requirement cites a section that does not exist", "parts/alpha.yaml DRV-TEST-001",
                        "virtio 1.4 has no section 2.1.9",
                        f -> f.replace("parts/alpha.yaml", "    source: \"virtio-1.4 §2.1.1\"\n    observable",
                                "    source: \"virtio-1.4 §2.1.9\"\n    observable")),
                new BrokenFixture("requirement cites the legacy note", "parts/alpha.yaml DRV-TEST-001",
                        "'Legacy Interface: The Virtqueue Used Ring', a legacy-interface section",
                        f -> f.replace("parts/alpha.yaml", "    source: \"virtio-1.4 §2.1.1\"\n    observable",
                                "    source: \"virtio-1.4 §2.7.8.1\"\n    observable")),
                new BrokenFixture("coverage names a device-normative block", "pvspec.yaml coverage virtio-1.4 §2.7.8.2",
                        "is not a driver-normative block: §2.7.8.2 is 'Device Requirements: The Virtqueue Used Ring'",
                        f -> f.replace("pvspec.yaml", "  - \"virtio-1.4 §2.1.1\"\n", "  - \"virtio-1.4 §2.7.8.2\"\n")),
                new BrokenFixture("source of another virtio version", "parts/alpha.yaml source virtio-1.3 §2.1.1",
                        "only virtio 1.4 headings are known",
                        f -> f.replace("parts/alpha.yaml", "  - {ref: \"xen:",
                                "  - {ref: \"virtio-1.3 §2.1.1\", title: \"Driver Requirements: Device Status Field\"}\n  - {ref: \"xen:")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrongCitations")
    void reportsAWrongCitationAndWhereItIs(BrokenFixture wrong) {
        wrong.assertReportedBy(headings::check, dir, "problems found in a spec where the " + wrong.name());
    }

    @Test
    void aMalformedTableIsRejected() {
        assertThatThrownBy(() -> VirtioHeadings.parse("2.1\tDevice Status Field\n2.1\tAgain\n"))
                .hasMessageContaining("section 2.1 listed twice");
        assertThatThrownBy(() -> VirtioHeadings.parse("2.1 Device Status Field\n"))
                .hasMessageContaining("expected 'number<TAB>title'");
    }
}
