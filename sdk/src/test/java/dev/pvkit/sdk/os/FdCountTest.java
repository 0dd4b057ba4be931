package dev.pvkit.sdk.os;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The leak check sees what a back-end could leak and names it, and ignores files opened like the JVM opens jars. */
class FdCountTest {
    @TempDir
    Path dir;

    @Test
    void anEventfdLeftOpenIsReportedWithWhatItIsAndARegularFileIsNot() throws Exception {
        Path file = Files.writeString(dir.resolve("some.jar"), "x");
        Set<Integer> before = FdCount.snapshot();
        try (EventFd leaked = EventFd.create(); FileInputStream jar = new FileInputStream(file.toFile())) {
            assertThat(FdCount.kernelObjectsOpenedSince(before))
                    .containsEntry(leaked.fd(), "anon_inode:[eventfd]")
                    .hasSize(1);
        }
        assertThat(FdCount.kernelObjectsOpenedSince(before)).isEmpty();
    }
}
