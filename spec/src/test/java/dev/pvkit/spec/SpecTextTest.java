package dev.pvkit.spec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The human text ({@code spec/pvspec.md}) and the machine form say the same thing. To refresh the generated
 * catalog appendix after editing the YAML: {@code mvn -pl spec test -Dtest=SpecTextTest -Dpvkit.spec.update=true}.
 */
class SpecTextTest {

    static final Path SOURCE_TEXT = Path.of("pvspec.md");
    static PvSpec spec;
    static String text;

    @BeforeAll
    static void load() throws IOException {
        spec = PvSpec.load();
        text = Files.readString(SOURCE_TEXT);
        if (Boolean.getBoolean("pvkit.spec.update")) {
            text = CatalogMarkdown.withCatalog(text, spec);
            Files.writeString(SOURCE_TEXT, text);
        }
    }

    @Test
    void everyIdInTheTextIsInTheMachineFormAndViceVersa() {
        // Retired ids may be named in the changelog (Appendix C), which records their retirement, and nowhere else.
        Set<String> inText = CatalogMarkdown.idsIn(text.replace(Changelog.section(text), ""));
        Set<String> inYaml = spec.requirements().stream().map(Requirement::id).collect(Collectors.toCollection(TreeSet::new));
        Set<String> retired = spec.retired().stream().map(RetiredId::id).collect(Collectors.toCollection(TreeSet::new));

        assertThat(difference(inText, inYaml)).as("ids in pvspec.md that the machine form lacks").isEmpty();
        assertThat(difference(inYaml, inText)).as("ids in the machine form that pvspec.md lacks").isEmpty();
        Set<String> inChangelog = CatalogMarkdown.idsIn(Changelog.section(text));
        assertThat(difference(difference(inChangelog, inYaml), retired))
                .as("ids in the changelog that are neither in the catalog nor retired").isEmpty();
    }

    @Test
    void proseOutsideTheCatalogCitesOnlyKnownIds() {
        String prose = text.replace(CatalogMarkdown.catalogSection(text), "").replace(Changelog.section(text), "");
        Set<String> inYaml = spec.requirements().stream().map(Requirement::id).collect(Collectors.toSet());
        assertThat(difference(CatalogMarkdown.idsIn(prose), inYaml)).as("unknown ids cited in the prose").isEmpty();
        assertThat(CatalogMarkdown.idsIn(prose)).as("the prose cites requirements").hasSizeGreaterThan(200);
    }

    @Test
    void catalogAppendixIsTheRenderingOfTheMachineForm() {
        String section = CatalogMarkdown.catalogSection(text);
        assertThat(section).as("catalog markers in pvspec.md").isNotNull();
        assertThat(section)
                .as("pvspec.md's catalog is stale; run mvn -pl spec test -Dtest=SpecTextTest -Dpvkit.spec.update=true")
                .isEqualTo(CatalogMarkdown.render(spec));
    }

    @Test
    void textStatesTheSameVersion() {
        Matcher m = Pattern.compile("(?m)^Version: (\\S+)$").matcher(text);
        assertThat(m.find()).as("a 'Version: x.y.z' line in pvspec.md").isTrue();
        assertThat(SpecVersion.parse(m.group(1))).isEqualTo(spec.version());
    }

    @Test
    void jarCarriesTheTextItWasBuiltFrom() throws IOException {
        try (InputStream in = PvSpec.class.getClassLoader().getResourceAsStream(PvSpec.RESOURCE_ROOT + "pvspec.md")) {
            assertThat(in).as("pvspec.md on the classpath").isNotNull();
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(Files.readString(SOURCE_TEXT));
        }
    }

    private static Set<String> difference(Set<String> a, Set<String> b) {
        Set<String> d = new TreeSet<>(a);
        d.removeAll(b);
        return d;
    }
}
