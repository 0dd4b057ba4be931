package dev.pvkit.conformance.live;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Assembles committed machine code again from its source, for tests that compare the two (the SeaBIOS boot sector,
 * the agent's helpers). nasm is a prerequisite ({@code scripts/install-prerequisites}); without it a test
 * fails rather than skips, so CI always checks.
 */
public final class Nasm {
    private Nasm() {
    }

    /** {@code source} assembled as a flat binary ({@code nasm -f bin}) into {@code workDir}; its bytes. */
    public static byte[] assembleFlat(Path source, Path workDir) throws Exception {
        Path nasm = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "nasm")).filter(Files::isExecutable).findFirst().orElse(null);
        assertThat(nasm).as("nasm on PATH (Debian package nasm; scripts/install-prerequisites installs it)").isNotNull();
        Path bin = workDir.resolve(source.getFileName() + ".bin");
        // -i: a source's %include (the helpers' shared ELF header) is found beside it, wherever nasm runs.
        Process p = new ProcessBuilder(nasm.toString(), "-f", "bin", "-i", source.toAbsolutePath().getParent() + File.separator,
                "-o", bin.toString(), source.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("nasm finished").isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return Files.readAllBytes(bin);
    }
}
