package dev.pvkit.conformance.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Temporary directories for one command run, removed with everything in them when it ends. */
final class TempDirs {
    private TempDirs() {
    }

    /** A new directory; on tmpfs ({@code /dev/shm}) when {@code preferMemory} and the machine has it. */
    static Path create(String prefix, boolean preferMemory) {
        try {
            Path shm = Path.of("/dev/shm");
            return preferMemory && Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, prefix) : Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory", e);
        }
    }

    static void delete(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary files only: nothing else to do
        }
    }
}
