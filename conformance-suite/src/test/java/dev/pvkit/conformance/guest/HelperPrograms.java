package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The guest agent's helper programs as tests install and run them on the host. */
final class HelperPrograms {
    private HelperPrograms() {
    }

    /** Helper {@code name} (a {@link GuestImageBuilder#HELPERS} entry) written executable to {@code dir/file}. */
    static Path install(String name, Path dir, String file) throws IOException {
        Path helper = Files.write(dir.resolve(file), GuestImageBuilder.resourceBytes(name));
        assertThat(helper.toFile().setExecutable(true)).isTrue();
        return helper;
    }

    /** How a run ended: its exit status and what it wrote to standard output (standard error is discarded). */
    record Run(int exit, byte[] out) {
    }

    static Run run(String... command) throws Exception {
        Process p = new ProcessBuilder(List.of(command)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", command[0]).isTrue();
        return new Run(p.exitValue(), out);
    }
}
