package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.report.ReportWriter;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes the reports of a certification, and checks before a run that they can be written. */
final class Reports {
    private Reports() {
    }

    /** Fails at once, before a guest boots, when {@code dir} cannot be created or written. */
    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".pvkit-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new SetupException("report directory " + dir + " cannot be written (" + why(e) + "); choose another with --report");
        }
    }

    private static String why(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "a file is in the way";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason().toLowerCase(java.util.Locale.ROOT);
        return e.getMessage() == null ? "unknown reason" : e.getMessage();
    }

    static List<Path> write(Certification c, PvSpec spec, Path dir) {
        try {
            return ReportWriter.write(c, spec, dir).all();
        } catch (IOException e) {
            throw new SetupException(e.getMessage(), e);
        }
    }
}
