package dev.pvkit.spec;

import org.junit.jupiter.api.Test;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged pvkit-spec jar, read on its own, carries the whole spec: index, parts and text. */
class SpecJarIT {

    @Test
    void packagedJarHoldsAndLoadsTheMachineReadableSpec() throws Exception {
        Path jar = Path.of(System.getProperty("pvkit.spec.jar"));
        assertThat(jar).exists();

        try (JarFile jf = new JarFile(jar.toFile())) {
            assertThat(jf.getEntry(PvSpec.RESOURCE_ROOT + PvSpecLoader.INDEX)).isNotNull();
            assertThat(jf.getEntry(PvSpec.RESOURCE_ROOT + "pvspec.md")).isNotNull();
            assertThat(jf.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith(PvSpec.RESOURCE_ROOT + "parts/") && n.endsWith(".yaml")))
                    .hasSizeGreaterThanOrEqualTo(8);
        }

        // Resources come from the jar alone (no parent loader), so nothing is read from target/classes.
        try (URLClassLoader jarOnly = new URLClassLoader(new URL[]{jar.toUri().toURL()}, null)) {
            PvSpec spec = PvSpecLoader.fromClasspath(jarOnly, PvSpec.RESOURCE_ROOT).load();
            assertThat(spec.version()).isEqualTo(SpecVersion.parse("4.0.0"));
            assertThat(spec.requirements()).hasSizeGreaterThanOrEqualTo(250);
            assertThat(SpecConsistency.check(spec)).isEmpty();
        }
        assertThat(Files.size(jar)).isPositive();
    }
}
