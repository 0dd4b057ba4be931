package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds PVKit's default guest image: the kernel of Debian's current {@code linux-image-amd64} ABI package, and
 * an initramfs with static busybox (package {@code busybox-static}), the virtio modules in load order, PVKit's
 * /init and the guest agent. Packages are fetched with apt into {@code <cache>/debs}; the image is stored under
 * {@code <cache>/images/<hash>}, the hash covering every input (both .deb files, the scripts, the module list),
 * so a new kernel or agent gives a new image and an unchanged one is reused without unpacking anything.
 */
public final class GuestImageBuilder {
    /** Bumped when the image layout or its bytes change, so old cached images are not reused (2: cpio by commons-compress). */
    private static final String FORMAT = "pvkit-guest-image/2";
    /**
     * virtio_rng is there for devices written with the SDK (examples/custom-device): the guest's own driver reads a
     * PVKit entropy device through /dev/hwrng. Without such a device it only sits loaded.
     */
    static final List<String> DEFAULT_MODULES = List.of("virtio_pci", "virtio_blk", "virtio_net", "virtio_console",
            "virtio_rng");
    private static final String BUSYBOX_PACKAGE = "busybox-static";
    private static final String LAST = "last-image";

    private Path cacheDir = CacheDirectory.resolve();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GuestImageBuilder.class);

    /** Without a progress sink of the caller's, steps go to the log. */
    private Consumer<String> progress = LOG::info;
    private final List<String> modules = new ArrayList<>(DEFAULT_MODULES);

    public GuestImageBuilder cacheDirectory(Path dir) {
        this.cacheDir = Objects.requireNonNull(dir);
        return this;
    }

    /** Where progress lines go (default: standard output). */
    public GuestImageBuilder progress(Consumer<String> sink) {
        this.progress = Objects.requireNonNull(sink);
        return this;
    }

    /** Loads further modules (and their dependencies) after the default virtio ones. */
    public GuestImageBuilder addModules(String... names) {
        modules.addAll(List.of(names));
        return this;
    }

    public Path cacheDirectory() {
        return cacheDir;
    }

    /** Returns the cached image for today's packages, building it first if needed. */
    public synchronized GuestImage build() throws IOException, InterruptedException {
        Path images = cacheDir.resolve("images");
        Files.createDirectories(images);
        AptPackages apt = new AptPackages(cacheDir.resolve("debs"), progress);
        String kernelPackage;
        Path kernelDeb;
        Path busyboxDeb;
        try {
            kernelPackage = apt.resolveKernelPackage();
            kernelDeb = apt.fetch(kernelPackage);
            busyboxDeb = apt.fetch(BUSYBOX_PACKAGE);
        } catch (IOException e) {
            // Offline: the image built last time is still a good guest.
            GuestImage last = readImage(images, Files.isRegularFile(images.resolve(LAST))
                    ? Files.readString(images.resolve(LAST)).trim() : "");
            if (last == null) throw new IOException("cannot build the default guest image: " + e.getMessage(), e);
            progress.accept("apt failed (" + e.getMessage().lines().findFirst().orElse("") + "); using the last image, "
                    + "kernel " + last.kernelVersion());
            return last;
        }
        String version = kernelPackage.substring("linux-image-".length());
        String init = resource("init.sh");
        String agent = resource("agent.sh");
        Map<String, byte[]> helpers = new LinkedHashMap<>();
        for (String name : HELPERS) helpers.put(name, resourceBytes(name));
        List<String> keyParts = new ArrayList<>(List.of(FORMAT, fileHash(kernelDeb), fileHash(busyboxDeb), init, agent));
        helpers.values().forEach(bytes -> keyParts.add(HexFormat.of().formatHex(bytes)));
        keyParts.add(String.join(",", modules));
        String key = hash(keyParts.toArray(String[]::new)).substring(0, 20);
        GuestImage cached = readImage(images, key);
        if (cached != null) {
            progress.accept("cached image " + images.resolve(key) + " (kernel " + version + ")");
            Files.writeString(images.resolve(LAST), key);
            return cached;
        }

        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory(images, "build-");
        try {
            progress.accept("unpacking " + kernelDeb.getFileName());
            Path tree = work.resolve("tree");
            DebArchive.extract(kernelDeb, tree, p -> p.equals("boot/vmlinuz-" + version)
                    || p.startsWith("lib/modules/" + version + "/") || p.startsWith("usr/lib/modules/" + version + "/"));
            progress.accept("unpacking " + busyboxDeb.getFileName());
            DebArchive.extract(busyboxDeb, tree, p -> p.equals("bin/busybox") || p.equals("usr/bin/busybox"));
            Path kernel = tree.resolve("boot/vmlinuz-" + version);
            Path modulesDir = firstDirectory(tree.resolve("lib/modules/" + version), tree.resolve("usr/lib/modules/" + version));
            Path busybox = firstFile(tree.resolve("bin/busybox"), tree.resolve("usr/bin/busybox"));
            if (!Files.isRegularFile(kernel) || modulesDir == null || busybox == null) {
                throw new IOException("the packages lack boot/vmlinuz-" + version + ", lib/modules/" + version
                        + " or bin/busybox");
            }

            List<KernelModules.Module> ordered = KernelModules.loadOrder(modulesDir, modules);
            progress.accept("building initramfs: busybox, agent, modules " + ordered.stream().map(KernelModules.Module::name).toList());
            Path out = work.resolve(key);
            Files.createDirectories(out);
            writeInitramfs(out.resolve("initrd.cpio.gz"), Files.readAllBytes(busybox), ordered, init, agent, helpers);
            Files.copy(kernel, out.resolve("vmlinuz"));
            Properties meta = new Properties();
            meta.setProperty("kernelVersion", version);
            meta.setProperty("kernelPackage", kernelDeb.getFileName().toString());
            meta.setProperty("busyboxPackage", busyboxDeb.getFileName().toString());
            try (OutputStream os = Files.newOutputStream(out.resolve("image.properties"))) {
                meta.store(os, FORMAT);
            }
            // The rename publishes the image whole; a concurrent builder of the same key loses harmlessly.
            try {
                Files.move(out, images.resolve(key), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (readImage(images, key) == null) throw raced;
            }
            Files.writeString(images.resolve(LAST), key);
            GuestImage image = Objects.requireNonNull(readImage(images, key));
            progress.accept(String.format("cached image %s (kernel %s, initramfs %d KiB) built in %.1f s",
                    images.resolve(key), version, Files.size(image.initrd()) / 1024, (System.nanoTime() - t0) / 1e9));
            return image;
        } finally {
            deleteTree(work);
        }
    }

    static void writeInitramfs(Path target, byte[] busybox, List<KernelModules.Module> modules, String init,
                               String agent, Map<String, byte[]> helpers) throws IOException {
        try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(target), 1 << 16);
             CpioWriter cpio = new CpioWriter(os)) {
            for (String d : List.of("bin", "dev", "etc", "etc/pvkit", "lib", "lib/modules", "proc", "sys", "tmp")) {
                cpio.directory(d);
            }
            // The kernel opens /dev/console for init before devtmpfs is mounted.
            cpio.charDevice("dev/console", 5, 1);
            cpio.charDevice("dev/null", 1, 3);
            cpio.file("bin/busybox", 0755, busybox);
            cpio.symlink("bin/sh", "busybox");
            StringBuilder order = new StringBuilder();
            for (KernelModules.Module m : modules) {
                cpio.file("lib/modules/" + m.name() + ".ko", 0644, m.bytes());
                order.append(m.name()).append('\n');
            }
            cpio.file("etc/pvkit/modules", 0644, order.toString().getBytes(StandardCharsets.US_ASCII));
            cpio.file("bin/pvkit-agent", 0755, agent.getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> h : helpers.entrySet()) cpio.file("bin/" + h.getKey(), 0755, h.getValue());
            cpio.file("init", 0755, init.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static GuestImage readImage(Path images, String key) throws IOException {
        if (key.isEmpty()) return null;
        Path dir = images.resolve(key);
        Path props = dir.resolve("image.properties");
        if (!Files.isRegularFile(dir.resolve("vmlinuz")) || !Files.isRegularFile(dir.resolve("initrd.cpio.gz"))
                || !Files.isRegularFile(props)) {
            return null;
        }
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(props)) {
            meta.load(in);
        }
        return new GuestImage(dir.resolve("vmlinuz"), dir.resolve("initrd.cpio.gz"),
                meta.getProperty("kernelVersion", "unknown"));
    }

    /**
     * The agent's helper for its ZEROES command: a 299-byte x86-64 executable assembled from src/main/asm/zeroout.asm
     * (ZerooutHelperTest assembles it again and compares).
     */
    static final String ZEROOUT = "pvkit-zeroout";

    /**
     * The agent's pattern maker for WRITE and NETSEND (spec Appendix B.4): a 380-byte x86-64 executable assembled from
     * src/main/asm/pattern.asm (PatternHelperTest assembles it again and compares). Busybox awk made the same bytes
     * at about 30 s per MiB under TCG, half of the host's minute for one command.
     */
    static final String PATTERN = "pvkit-pattern";

    /** The agent's helpers, in the initramfs's /bin under these names (and in this order in the image's cache key). */
    static final List<String> HELPERS = List.of(ZEROOUT, PATTERN);

    /** The guest-side scripts shipped with the harness (their protocol is Appendix B of the PVKit specification). */
    static String resource(String name) throws IOException {
        return new String(resourceBytes(name), StandardCharsets.UTF_8);
    }

    static byte[] resourceBytes(String name) throws IOException {
        try (InputStream in = GuestImageBuilder.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("missing resource " + name);
            return in.readAllBytes();
        }
    }

    private static Path firstDirectory(Path... candidates) {
        for (Path p : candidates) if (Files.isDirectory(p)) return p;
        return null;
    }

    private static Path firstFile(Path... candidates) {
        for (Path p : candidates) if (Files.isRegularFile(p)) return p;
        return null;
    }

    private static String fileHash(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 of the parts, each followed by a NUL, in hex: the cache key of an image. */
    static String hash(String... parts) {
        MessageDigest md = sha256();
        for (String p : parts) {
            md.update(p.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
