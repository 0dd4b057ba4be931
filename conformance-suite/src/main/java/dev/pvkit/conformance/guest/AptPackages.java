package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian packages through the system's apt: which kernel ABI package {@code linux-image-amd64} points to today,
 * and {@code apt-get download} into a cache directory (no root needed, nothing installed). {@code apt-get update}
 * runs at most once per instance, and only when apt does not know a package.
 */
final class AptPackages {
    static final String KERNEL_META = "linux-image-amd64";

    /** A package version apt would download. */
    record Candidate(String name, String version, String arch) {
        /** The file name {@code apt-get download} gives it (an epoch's ':' is written %3a). */
        String fileName() {
            return name + "_" + version.replace(":", "%3a") + "_" + arch + ".deb";
        }
    }

    private final Path debDir;
    private final Consumer<String> progress;
    private boolean updated;

    AptPackages(Path debDir, Consumer<String> progress) {
        this.debDir = debDir;
        this.progress = progress;
    }

    /** The ABI package the meta package depends on now, e.g. {@code linux-image-6.1.0-56-amd64}. */
    String resolveKernelPackage() throws IOException, InterruptedException {
        progress.accept("resolving " + KERNEL_META + " (apt-cache depends)");
        Optional<String> pkg = kernelDependency();
        if (pkg.isEmpty() && updateOnce()) pkg = kernelDependency();
        return pkg.orElseThrow(() -> new IOException("apt-cache does not know " + KERNEL_META
                + " even after apt-get update; is a Debian main archive configured?"));
    }

    /** Returns the cached .deb of the candidate version of {@code pkg}, downloading it first if needed. */
    Path fetch(String pkg) throws IOException, InterruptedException {
        Optional<Candidate> c = candidate(pkg);
        if (c.isEmpty() && updateOnce()) c = candidate(pkg);
        Candidate cand = c.orElseThrow(() -> new IOException("apt-cache has no candidate version of " + pkg));
        Files.createDirectories(debDir);
        Path deb = debDir.resolve(cand.fileName());
        if (Files.isRegularFile(deb)) {
            progress.accept("cached " + deb.getFileName());
            return deb;
        }
        progress.accept("downloading " + pkg + " " + cand.version() + " (apt-get download)");
        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory(debDir, "download-");
        try {
            Exec.Result r = Exec.run(work, 900, List.of("apt-get", "download", pkg + "=" + cand.version()));
            if (!r.ok() && updateOnce()) r = Exec.run(work, 900, List.of("apt-get", "download", pkg + "=" + cand.version()));
            if (!r.ok()) throw new IOException("apt-get download " + pkg + " failed (exit " + r.code() + "):\n" + r.output());
            Path got;
            try (Stream<Path> s = Files.list(work)) {
                got = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IOException("apt-get download " + pkg + " left no .deb"));
            }
            Files.move(got, deb, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            progress.accept(String.format("downloaded %s (%.1f MiB) in %.1f s", deb.getFileName(),
                    Files.size(deb) / 1048576.0, (System.nanoTime() - t0) / 1e9));
            return deb;
        } finally {
            Files.deleteIfExists(work.resolve("partial"));
            try (Stream<Path> s = Files.list(work)) {
                for (Path p : s.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(work);
        }
    }

    private Optional<String> kernelDependency() throws InterruptedException {
        Exec.Result r = Exec.run(Path.of("."), 60, List.of("apt-cache", "depends", KERNEL_META));
        return r.ok() ? parseKernelDependency(r.output()) : Optional.empty();
    }

    static Optional<String> parseKernelDependency(String aptCacheDepends) {
        Matcher m = Pattern.compile("Depends:\\s*(linux-image-\\d[^\\s<>]*)").matcher(aptCacheDepends);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private Optional<Candidate> candidate(String pkg) throws InterruptedException {
        Exec.Result r = Exec.run(Path.of("."), 60, List.of("apt-cache", "show", "--no-all-versions", pkg));
        return r.ok() ? parseCandidate(pkg, r.output()) : Optional.empty();
    }

    static Optional<Candidate> parseCandidate(String pkg, String aptCacheShow) {
        Matcher v = Pattern.compile("(?m)^Version:\\s*(\\S+)").matcher(aptCacheShow);
        Matcher a = Pattern.compile("(?m)^Architecture:\\s*(\\S+)").matcher(aptCacheShow);
        return v.find() && a.find() ? Optional.of(new Candidate(pkg, v.group(1), a.group(1))) : Optional.empty();
    }

    private boolean updateOnce() throws InterruptedException {
        if (updated) return false;
        updated = true;
        progress.accept("apt does not know the package; running apt-get update");
        Exec.Result r = Exec.run(Path.of("."), 600, List.of("apt-get", "update"));
        if (!r.ok()) progress.accept("apt-get update failed (exit " + r.code() + "): "
                + r.output().lines().reduce((x, y) -> y).orElse(""));
        return r.ok();
    }
}
