package dev.pvkit.sdk.interop.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * A bootable Linux guest for interoperability tests: a Debian kernel (package {@code linux-image-amd64}) and an
 * initramfs holding a static busybox, the virtio-blk driver modules and the probe {@code /init} script
 * ({@code guest/init.sh}). Built with the system's Debian tools ({@code apt-cache}, {@code apt-get download},
 * {@code dpkg-deb}) and cached under {@code ${java.io.tmpdir}/pvkit-guest-cache}, keyed by kernel version and a
 * hash of the initramfs inputs (system property {@code pvkit.guest.cache} overrides the directory). Without access
 * to a Debian package archive (and no cached image) {@link #obtain()} throws with apt's output: the test fails, it
 * does not skip.
 */
record TestGuestImage(Path kernel, Path initrd, String kernelVersion) {

    private static final String META_PACKAGE = "linux-image-amd64";
    private static final Path BUSYBOX = Path.of("/bin/busybox");
    /** The drivers to load; their dependencies are found in the modules' {@code .modinfo}. */
    private static final List<String> ROOT_MODULES = List.of("virtio_pci", "virtio_blk");

    static Path cacheDir() {
        String override = System.getProperty("pvkit.guest.cache");
        return override != null ? Path.of(override) : Path.of(System.getProperty("java.io.tmpdir"), "pvkit-guest-cache");
    }

    /** Returns the cached image for the current kernel package, building it first if needed. */
    static synchronized TestGuestImage obtain() {
        try {
            return build(cacheDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the guest image", e);
        }
    }

    private static TestGuestImage build(Path cache) throws IOException, InterruptedException {
        Files.createDirectories(cache);
        if (!Files.isExecutable(BUSYBOX)) {
            throw new IllegalStateException("the guest image needs a static busybox at " + BUSYBOX
                    + " (Debian package busybox-static)");
        }
        String initTemplate = resource("/guest/init.sh");

        String key = sha256(initTemplate.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(BUSYBOX),
                String.join(",", ROOT_MODULES).getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        String pkg;
        try {
            pkg = resolveKernelPackage();
        } catch (IllegalStateException e) {
            // Offline, but an image built earlier is still good enough.
            Optional<TestGuestImage> cached = anyCached(cache, key);
            if (cached.isEmpty()) throw e;
            progress("cannot resolve " + META_PACKAGE + " (" + e.getMessage().lines().findFirst().orElse("")
                    + "); using the cached image for " + cached.get().kernelVersion());
            return cached.get();
        }
        String version = pkg.substring("linux-image-".length()); // e.g. 6.1.0-56-amd64
        Path kernel = cache.resolve("vmlinuz-" + version);
        Path initrd = cache.resolve("initrd-" + version + "-" + key + ".cpio.gz");
        if (Files.isRegularFile(kernel) && Files.isRegularFile(initrd)) {
            progress("reusing cached guest image " + kernel.getFileName() + " + " + initrd.getFileName() + " in " + cache);
            return new TestGuestImage(kernel, initrd, version);
        }

        Path work = Files.createTempDirectory(cache, "build-");
        try {
            Path deb = download(pkg, work);
            progress("unpacking " + deb.getFileName());
            Path root = work.resolve("root");
            run(work, 300, "dpkg-deb", "-x", deb.toString(), root.toString());
            Path unpackedKernel = root.resolve("boot/vmlinuz-" + version);
            Path modules = root.resolve("lib/modules/" + version);
            if (!Files.isRegularFile(unpackedKernel) || !Files.isDirectory(modules)) {
                throw new IllegalStateException(deb + " has no boot/vmlinuz-" + version + " or lib/modules/" + version);
            }

            progress("building initramfs (busybox, virtio-blk modules, /init)");
            List<Path> ordered = moduleLoadOrder(modules, ROOT_MODULES);
            List<String> names = ordered.stream().map(TestGuestImage::moduleName).toList();
            progress("modules in load order: " + names);
            String init = initTemplate.replace("@MODULES@", String.join(" ", names));

            Path tmpInitrd = work.resolve("initrd.cpio.gz");
            try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(tmpInitrd), 1 << 16)) {
                NewcWriter cpio = new NewcWriter(os);
                for (String dir : List.of("bin", "dev", "proc", "sys", "tmp", "modules")) cpio.directory(dir);
                cpio.charDevice("dev/console", 5, 1);
                cpio.charDevice("dev/null", 1, 3);
                cpio.file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX));
                cpio.symlink("bin/sh", "busybox");
                for (Path ko : ordered) cpio.file("modules/" + moduleName(ko) + ".ko", 0644, Files.readAllBytes(ko));
                cpio.file("init", 0755, init.getBytes(StandardCharsets.UTF_8));
                cpio.trailer();
            }
            Files.copy(unpackedKernel, work.resolve("vmlinuz"));
            Files.move(work.resolve("vmlinuz"), kernel, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmpInitrd, initrd, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            progress("guest image ready: " + kernel + " (" + Files.size(kernel) / 1024 + " KiB), " + initrd + " ("
                    + Files.size(initrd) / 1024 + " KiB)");
            return new TestGuestImage(kernel, initrd, version);
        } finally {
            deleteTree(work);
        }
    }

    private static Optional<TestGuestImage> anyCached(Path cache, String key) throws IOException {
        try (Stream<Path> s = Files.list(cache)) {
            for (Path kernel : s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().toList()) {
                String version = kernel.getFileName().toString().substring("vmlinuz-".length());
                Path initrd = cache.resolve("initrd-" + version + "-" + key + ".cpio.gz");
                if (Files.isRegularFile(initrd)) return Optional.of(new TestGuestImage(kernel, initrd, version));
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- Debian packages

    /** The ABI package {@code linux-image-amd64} depends on now, e.g. {@code linux-image-6.1.0-56-amd64}. */
    private static String resolveKernelPackage() throws IOException, InterruptedException {
        Optional<String> pkg = dependencyOfMeta();
        if (pkg.isEmpty()) {
            progress("apt-cache knows no " + META_PACKAGE + "; running apt-get update");
            Result update = exec(Path.of("."), 300, "apt-get", "update");
            if (update.code != 0) {
                throw new IllegalStateException("cannot build the guest image: `apt-get update` failed (exit "
                        + update.code + ") — this test needs access to a Debian package archive:\n" + update.output);
            }
            pkg = dependencyOfMeta();
        }
        return pkg.orElseThrow(() -> new IllegalStateException("cannot build the guest image: apt-cache does not "
                + "know " + META_PACKAGE + " even after apt-get update (is a Debian main archive configured?)"));
    }

    private static Optional<String> dependencyOfMeta() throws IOException, InterruptedException {
        Result r = exec(Path.of("."), 60, "apt-cache", "depends", META_PACKAGE);
        if (r.code != 0) return Optional.empty();
        Matcher m = Pattern.compile("Depends:\\s*(linux-image-\\d[^\\s<>]*)").matcher(r.output);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static Path download(String pkg, Path work) throws IOException, InterruptedException {
        progress("downloading kernel package " + pkg + " (apt-get download)");
        long t0 = System.nanoTime();
        Result r = exec(work, 600, "apt-get", "download", pkg);
        if (r.code != 0) {
            progress("apt-get download failed; running apt-get update and retrying");
            Result update = exec(work, 300, "apt-get", "update");
            r = exec(work, 600, "apt-get", "download", pkg);
            if (r.code != 0) {
                throw new IllegalStateException("cannot build the guest image: `apt-get download " + pkg
                        + "` failed (exit " + r.code + ") — this test needs access to a Debian package archive.\n"
                        + "apt-get update said:\n" + update.output + "\napt-get download said:\n" + r.output);
            }
        }
        try (Stream<Path> s = Files.list(work)) {
            Path deb = s.filter(p -> p.getFileName().toString().startsWith(pkg + "_")
                            && p.getFileName().toString().endsWith(".deb"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("apt-get download " + pkg + " left no .deb in " + work));
            progress("downloaded " + deb.getFileName() + " (" + Files.size(deb) / (1024 * 1024) + " MiB) in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            return deb;
        }
    }

    // ---------------------------------------------------------------- kernel modules

    /**
     * The modules {@code roots} need, dependencies first. Debian's package ships no {@code modules.dep} (depmod
     * runs at install time), so dependencies come from each module's {@code .modinfo} {@code depends=} entry.
     * A root listed in {@code modules.builtin} is skipped.
     */
    static List<Path> moduleLoadOrder(Path modulesDir, List<String> roots) throws IOException {
        Map<String, Path> byName = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(modulesDir.resolve("kernel"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".ko"))
                    .sorted(Comparator.naturalOrder())
                    .forEach(p -> byName.putIfAbsent(moduleName(p), p));
        }
        Set<String> builtin = new LinkedHashSet<>();
        Path builtinList = modulesDir.resolve("modules.builtin");
        if (Files.isRegularFile(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                String file = line.substring(line.lastIndexOf('/') + 1);
                if (file.endsWith(".ko")) builtin.add(normalise(file.substring(0, file.length() - 3)));
            }
        }
        List<Path> order = new ArrayList<>();
        Set<String> visiting = new LinkedHashSet<>();
        Set<String> done = new LinkedHashSet<>();
        for (String root : roots) visit(normalise(root), byName, builtin, visiting, done, order);
        return order;
    }

    private static void visit(String name, Map<String, Path> byName, Set<String> builtin, Set<String> visiting,
                              Set<String> done, List<Path> order) throws IOException {
        if (done.contains(name) || builtin.contains(name)) return;
        if (!visiting.add(name)) throw new IllegalStateException("module dependency cycle through " + visiting);
        Path ko = byName.get(name);
        if (ko == null) throw new IllegalStateException("kernel module " + name + " is neither in the package nor built in");
        for (String dep : modinfo(ko, "depends")) visit(normalise(dep), byName, builtin, visiting, done, order);
        visiting.remove(name);
        done.add(name);
        order.add(ko);
    }

    /** Values of a {@code .modinfo} key ({@code key=v1,v2}, NUL-terminated) in a module file. */
    private static List<String> modinfo(Path ko, String key) throws IOException {
        byte[] b = Files.readAllBytes(ko);
        byte[] needle = ("\0" + key + "=").getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length <= b.length; i++) {
            for (int j = 0; j < needle.length; j++) if (b[i + j] != needle[j]) continue outer;
            int start = i + needle.length;
            int end = start;
            while (end < b.length && b[end] != 0) end++;
            String v = new String(b, start, end - start, StandardCharsets.US_ASCII).trim();
            return v.isEmpty() ? List.of() : List.of(v.split(","));
        }
        return List.of();
    }

    private static String moduleName(Path ko) {
        String f = ko.getFileName().toString();
        return normalise(f.substring(0, f.length() - ".ko".length()));
    }

    private static String normalise(String module) {
        return module.replace('-', '_');
    }

    // ---------------------------------------------------------------- cpio (newc)

    /** Writes a "newc" cpio archive, the format the kernel unpacks into its initramfs. */
    static final class NewcWriter {
        private final OutputStream out;
        private int ino = 1;

        NewcWriter(OutputStream out) {
            this.out = out;
        }

        void directory(String name) throws IOException {
            entry(name, 0040755, 2, 0, 0, new byte[0]);
        }

        void file(String name, int perm, byte[] data) throws IOException {
            entry(name, 0100000 | perm, 1, 0, 0, data);
        }

        void symlink(String name, String target) throws IOException {
            entry(name, 0120777, 1, 0, 0, target.getBytes(StandardCharsets.UTF_8));
        }

        void charDevice(String name, int major, int minor) throws IOException {
            entry(name, 0020600, 1, major, minor, new byte[0]);
        }

        void trailer() throws IOException {
            ino = 0;
            entry("TRAILER!!!", 0, 1, 0, 0, new byte[0]);
        }

        private void entry(String name, int mode, int nlink, int rmajor, int rminor, byte[] data) throws IOException {
            byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder("070701");
            long mtime = 0;
            for (long field : new long[]{ino == 0 ? 0 : ino++, mode, 0, 0, nlink, mtime, data.length, 0, 0,
                    rmajor, rminor, n.length, 0}) {
                h.append(String.format("%08x", field));
            }
            byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
            out.write(header);
            out.write(n);
            pad(header.length + n.length);
            out.write(data);
            pad(data.length);
        }

        private void pad(int length) throws IOException {
            int p = (4 - length % 4) % 4;
            for (int i = 0; i < p; i++) out.write(0);
        }
    }

    // ---------------------------------------------------------------- helpers

    record Result(int code, String output) {
    }

    static Result exec(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("pvkit-exec", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, String.join(" ", command) + " timed out after " + timeoutSeconds + " s\n"
                        + Files.readString(log, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            return new Result(-1, "cannot run " + String.join(" ", command) + ": " + e.getMessage());
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Result r = exec(dir, timeoutSeconds, command);
        if (r.code != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.code + "):\n" + r.output);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TestGuestImage.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing test resource " + name);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        }
    }

    private static String sha256(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) {
                md.update(p);
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static void progress(String line) {
        System.out.println("[guest-image] " + line);
        System.out.flush();
    }
}
