package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CacheDirectoryTest {
    @Test
    void propertyThenXdgThenHome() {
        assertThat(CacheDirectory.resolve("/p", Map.of("XDG_CACHE_HOME", "/x"), "/h")).isEqualTo(Path.of("/p"));
        assertThat(CacheDirectory.resolve(null, Map.of("XDG_CACHE_HOME", "/x"), "/h")).isEqualTo(Path.of("/x/pvkit"));
        assertThat(CacheDirectory.resolve(null, Map.of("XDG_CACHE_HOME", "rel"), "/h")).isEqualTo(Path.of("/h/.cache/pvkit"));
        assertThat(CacheDirectory.resolve("", Map.of(), "/h")).isEqualTo(Path.of("/h/.cache/pvkit"));
    }

    @Test
    void aptOutputParsing() {
        assertThat(AptPackages.parseKernelDependency("linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n"))
                .contains("linux-image-6.1.0-56-amd64");
        assertThat(AptPackages.parseKernelDependency("linux-image-amd64\n  Depends: <linux-image-virtual>\n")).isEmpty();
        AptPackages.Candidate c = AptPackages.parseCandidate("busybox-static",
                "Package: busybox-static\nVersion: 1:1.35.0-4+deb12u1+b1\nArchitecture: amd64\n").orElseThrow();
        assertThat(c.fileName()).isEqualTo("busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb");
    }
}
