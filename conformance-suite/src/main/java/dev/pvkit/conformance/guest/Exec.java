package dev.pvkit.conformance.guest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short-lived tool (apt-cache, apt-get, qemu --version) with a time limit, capturing its output. */
final class Exec {
    record Result(int code, String output) {
        boolean ok() {
            return code == 0;
        }
    }

    private Exec() {
    }

    static Result run(Path dir, long timeoutSeconds, List<String> command) throws InterruptedException {
        Path log = null;
        try {
            // Output goes to a file, not a pipe, so a chatty tool can never block on a full pipe.
            log = Files.createTempFile("pvkit-exec", ".log");
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                ProcessReaper.killTree(p.toHandle());
                return new Result(-1, String.join(" ", command) + " timed out after " + timeoutSeconds + " s\n"
                        + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return new Result(-1, "cannot run " + String.join(" ", command) + ": " + e.getMessage());
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a leftover temp file is harmless
                }
            }
        }
    }
}
