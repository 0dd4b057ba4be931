package dev.pvkit.conformance.guest;

import org.tukaani.xz.SingleXZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the live Xen rig's images from Debian bookworm packages, in Java and without root: nothing is installed on
 * the host, and device nodes, modes and links go straight into the cpio archives. The packages and their roles are
 * the ones measured in docs/xen-rig/FACTS.md. Images are cached under {@code <cache>/xen-images/<hash>}, the hash
 * covering every package file, both init scripts and the module lists.
 */
public final class XenRigImageBuilder {
    /** Bumped when the layout or bytes of the images change. */
    private static final String FORMAT = "pvkit-xen-rig/2";
    static final String HYPERVISOR_PACKAGE = "xen-hypervisor-4.17-amd64";
    /** Xen's dom0 tools and the libraries PVKit's back-ends call through JNA. */
    static final List<String> XEN_PACKAGES = List.of(HYPERVISOR_PACKAGE, "xen-utils-4.17", "xen-utils-common",
            "xenstore-utils", "libxenstore4", "libxengnttab1", "libxenevtchn1", "libxentoolcore1", "libxentoollog1",
            "libxencall1", "libxenforeignmemory1", "libxendevicemodel1", "libxenhypfs1", "libxenmisc4.17", "libyajl2",
            "libext2fs2");
    /**
     * What the Xen tools and the host's JVM (run in dom0 from the host's disk over 9p) load: libjvm needs libstdc++
     * and libgcc_s, xl dlopens libgcc_s.so.1 for pthread_cancel, the JDK's libzip needs libz.
     */
    static final List<String> SYSTEM_PACKAGES = List.of("libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libtinfo6",
            "libncurses6", "liblzma5", "libuuid1", "libzstd1");
    static final List<String> DOM0_MODULES = List.of("xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xenfs",
            "9p", "9pnet_virtio", "virtio_pci", "xen-blkback", "xen-netback", "loop", "bridge");
    static final List<String> DOMU_MODULES = List.of("xen-blkfront", "xen-netfront");
    /** Trees of the packages a busybox dom0 never uses, left out of its initramfs. */
    private static final List<String> DOM0_OMITTED = List.of("usr/share/", "usr/lib/x86_64-linux-gnu/gconv/", "etc/init.d/",
            "etc/default/", "usr/lib/xen-4.17/lib/python", "usr/lib/python3", "usr/lib/xen-4.17/boot/", "boot/", "lib/systemd/",
            "usr/lib/systemd/", "etc/systemd/");
    static final String DOM0_INIT = "xen-dom0-init.sh";
    static final String DOMU_INIT = "xen-domu-init.sh";
    /** Hotplug scripts for the kernel's back-ends (the side-by-side baseline), by their name in /etc/xen/scripts. */
    static final Map<String, String> HOTPLUG_SCRIPTS = Map.of("pvkit-block", "xen-hotplug-block.sh", "pvkit-vif", "xen-hotplug-vif.sh");

    private Path cacheDir = CacheDirectory.resolve();
    private Consumer<String> progress = s -> { };

    public XenRigImageBuilder cacheDirectory(Path dir) {
        this.cacheDir = Objects.requireNonNull(dir);
        return this;
    }

    public XenRigImageBuilder progress(Consumer<String> sink) {
        this.progress = Objects.requireNonNull(sink);
        return this;
    }

    /** Returns the cached rig images for today's packages, building them first if needed. */
    public synchronized XenRigImage build() throws IOException, InterruptedException {
        Path images = cacheDir.resolve("xen-images");
        Files.createDirectories(images);
        // 28 packages: say what is downloaded, not each one found in the cache.
        AptPackages apt = new AptPackages(cacheDir.resolve("debs"), line -> {
            if (!line.startsWith("cached ")) progress.accept(line);
        });
        String kernelPackage = apt.resolveKernelPackage();
        String version = kernelPackage.substring("linux-image-".length());
        Map<String, Path> debs = new LinkedHashMap<>();
        for (String p : concat(List.of(kernelPackage, "busybox-static"), XEN_PACKAGES, SYSTEM_PACKAGES)) debs.put(p, apt.fetch(p));
        String dom0Init = GuestImageBuilder.resource(DOM0_INIT);
        String domUInit = GuestImageBuilder.resource(DOMU_INIT);
        Map<String, String> hotplug = new java.util.TreeMap<>();
        for (var e : HOTPLUG_SCRIPTS.entrySet()) hotplug.put(e.getKey(), GuestImageBuilder.resource(e.getValue()));
        List<String> parts = new ArrayList<>(List.of(FORMAT, dom0Init, domUInit, hotplug.toString(), String.join(",", DOM0_MODULES),
                String.join(",", DOMU_MODULES), String.join(",", DOM0_OMITTED)));
        debs.values().forEach(d -> parts.add(d.getFileName().toString()));
        String key = GuestImageBuilder.hash(parts.toArray(String[]::new)).substring(0, 20);
        Path dir = images.resolve(key);
        XenRigImage cached = read(dir);
        if (cached != null) {
            progress.accept("cached Xen rig images " + dir + " (kernel " + cached.kernelVersion() + ")");
            return cached;
        }

        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory(images, "build-");
        try {
            Path out = work.resolve(key);
            Files.createDirectories(out);
            progress.accept("unpacking " + debs.get(kernelPackage).getFileName());
            Path tree = work.resolve("kernel");
            DebArchive.extract(debs.get(kernelPackage), tree, p -> p.equals("boot/vmlinuz-" + version)
                    || p.startsWith("lib/modules/" + version + "/") || p.startsWith("usr/lib/modules/" + version + "/"));
            Path vmlinuz = tree.resolve("boot/vmlinuz-" + version);
            Path modulesDir = Files.isDirectory(tree.resolve("lib/modules/" + version)) ? tree.resolve("lib/modules/" + version)
                    : tree.resolve("usr/lib/modules/" + version);
            if (!Files.isRegularFile(vmlinuz) || !Files.isDirectory(modulesDir)) {
                throw new IOException(kernelPackage + " lacks boot/vmlinuz-" + version + " or its modules");
            }
            Files.copy(vmlinuz, out.resolve("vmlinuz"));
            Files.write(out.resolve("vmlinux"), elfInside(Files.readAllBytes(vmlinuz)));
            progress.accept("unpacking Xen's hypervisor from " + debs.get(HYPERVISOR_PACKAGE).getFileName());
            Files.write(out.resolve("xen.elf"), hypervisor(debs.get(HYPERVISOR_PACKAGE)));
            byte[] busybox = busybox(debs.get("busybox-static"));

            progress.accept("building the dom0 initramfs: busybox, Xen's tools, glibc, modules " + DOM0_MODULES);
            try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(out.resolve("dom0-initrd.cpio.gz")), 1 << 16);
                 CpioWriter cpio = new CpioWriter(os)) {
                Set<String> seen = base(cpio, busybox, dom0Init);
                for (String p : concat(XEN_PACKAGES, SYSTEM_PACKAGES)) {
                    if (p.equals(HYPERVISOR_PACKAGE)) continue;
                    copyPackage(debs.get(p), cpio, seen);
                }
                modules(cpio, seen, KernelModules.loadOrder(modulesDir, DOM0_MODULES));
                for (var e : hotplug.entrySet()) {
                    cpio.file("etc/xen/scripts/" + e.getKey(), 0755, e.getValue().getBytes(StandardCharsets.UTF_8));
                }
            }
            progress.accept("building the domU initramfs: busybox, modules " + DOMU_MODULES);
            try (OutputStream os = new GZIPOutputStream(Files.newOutputStream(out.resolve("domu-initrd.cpio.gz")), 1 << 16);
                 CpioWriter cpio = new CpioWriter(os)) {
                Set<String> seen = base(cpio, busybox, domUInit);
                modules(cpio, seen, KernelModules.loadOrder(modulesDir, DOMU_MODULES));
            }
            Properties meta = new Properties();
            meta.setProperty("kernelVersion", version);
            meta.setProperty("xenPackage", debs.get(HYPERVISOR_PACKAGE).getFileName().toString());
            try (OutputStream os = Files.newOutputStream(out.resolve("image.properties"))) {
                meta.store(os, FORMAT);
            }
            try {
                Files.move(out, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (read(dir) == null) throw raced;
            }
            XenRigImage image = Objects.requireNonNull(read(dir));
            progress.accept(String.format("Xen rig images %s (kernel %s, dom0 initramfs %d KiB) built in %.1f s", dir, version,
                    Files.size(image.dom0Initrd()) / 1024, (System.nanoTime() - t0) / 1e9));
            return image;
        } finally {
            GuestImageBuilder.deleteTree(work);
        }
    }

    /** The directories, device nodes, busybox and /init both initramfs images start with; returns the paths written. */
    private static Set<String> base(CpioWriter cpio, byte[] busybox, String init) throws IOException {
        Set<String> seen = new HashSet<>();
        for (String d : List.of("bin", "sbin", "dev", "etc", "proc", "sys", "tmp", "run", "root", "lib", "lib/modules",
                "lib/modules/rig", "etc/rig", "usr", "usr/bin", "usr/sbin", "var", "var/lib", "var/log")) {
            cpio.directory(d);
            seen.add(d);
        }
        // The kernel opens /dev/console for init before devtmpfs is mounted.
        cpio.charDevice("dev/console", 5, 1);
        cpio.charDevice("dev/null", 1, 3);
        cpio.file("bin/busybox", 0755, busybox);
        cpio.symlink("bin/sh", "busybox");
        cpio.file("etc/passwd", 0644, "root:x:0:0:root:/root:/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
        cpio.file("etc/group", 0644, "root:x:0:\n".getBytes(StandardCharsets.US_ASCII));
        cpio.symlink("var/run", "/run");
        cpio.symlink("var/lock", "/run/lock");
        cpio.file("init", 0755, init.getBytes(StandardCharsets.UTF_8));
        seen.addAll(List.of("dev/console", "dev/null", "bin/busybox", "bin/sh", "etc/passwd", "etc/group", "var/run",
                "var/lock", "init"));
        return seen;
    }

    /** Every directory, file and link of a package not under {@link #DOM0_OMITTED}, the first package's copy winning. */
    private static void copyPackage(Path deb, CpioWriter cpio, Set<String> seen) throws IOException {
        // A hard link is written as a copy of its file (the initramfs is unpacked once; the few copies are small).
        Map<String, byte[]> files = new java.util.HashMap<>();
        DebArchive.forEachEntry(deb, (path, mode, kind, link, data) -> {
            String asDir = path + "/";
            byte[] bytes = kind == DebArchive.Kind.FILE ? data.readAllBytes() : null;
            if (bytes != null) files.put(path, bytes);
            if (DOM0_OMITTED.stream().anyMatch(asDir::startsWith) || !seen.add(path)) return;
            switch (kind) {
                case DIRECTORY -> cpio.directory(path);
                case SYMLINK -> cpio.symlink(path, link);
                case FILE -> cpio.file(path, mode, bytes);
                case HARDLINK -> {
                    byte[] target = files.get(link);
                    if (target == null) throw new IOException(deb.getFileName() + ": " + path + " links to " + link + ", not seen before it");
                    cpio.file(path, mode, target);
                }
            }
        });
    }

    /** Modules as plain .ko files under /lib/modules/rig, and their load order in /etc/rig/modules. */
    private static void modules(CpioWriter cpio, Set<String> seen, List<KernelModules.Module> ordered) throws IOException {
        StringBuilder order = new StringBuilder();
        for (KernelModules.Module m : ordered) {
            cpio.file("lib/modules/rig/" + m.name() + ".ko", 0644, m.bytes());
            order.append(m.name()).append('\n');
        }
        cpio.file("etc/rig/modules", 0644, order.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** The hypervisor: {@code boot/xen-*.gz} of the package, a 32-bit multiboot ELF once gunzipped. */
    private static byte[] hypervisor(Path deb) throws IOException {
        byte[][] found = new byte[1][];
        DebArchive.forEachEntry(deb, (path, mode, kind, link, data) -> {
            if (kind == DebArchive.Kind.FILE && path.matches("boot/xen-[0-9.]+-amd64\\.gz")) {
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data.readAllBytes()))) {
                    found[0] = in.readAllBytes();
                }
            }
        });
        if (found[0] == null) throw new IOException(deb.getFileName() + " has no boot/xen-*-amd64.gz");
        return found[0];
    }

    private static byte[] busybox(Path deb) throws IOException {
        byte[][] found = new byte[1][];
        DebArchive.forEachEntry(deb, (path, mode, kind, link, data) -> {
            if (kind == DebArchive.Kind.FILE && (path.equals("bin/busybox") || path.equals("usr/bin/busybox"))) found[0] = data.readAllBytes();
        });
        if (found[0] == null) throw new IOException(deb.getFileName() + " has no bin/busybox");
        return found[0];
    }

    /**
     * The ELF kernel inside a bzImage: its payload is one xz stream. A PV domU given the bzImage has libxenguest
     * decompress it in dom0 on every start (14 s under TCG, measured, against 2.4 s for the ELF).
     */
    static byte[] elfInside(byte[] bzImage) throws IOException {
        byte[] magic = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};
        outer:
        for (int i = 0; i + magic.length <= bzImage.length; i++) {
            for (int j = 0; j < magic.length; j++) if (bzImage[i + j] != magic[j]) continue outer;
            byte[] elf;
            try (InputStream in = new SingleXZInputStream(new ByteArrayInputStream(bzImage, i, bzImage.length - i))) {
                elf = in.readAllBytes();
            }
            if (elf.length > 4 && elf[0] == 0x7f && elf[1] == 'E' && elf[2] == 'L' && elf[3] == 'F') return elf;
            throw new IOException("the bzImage's xz payload is not an ELF kernel");
        }
        throw new IOException("no xz payload in the bzImage (a kernel compressed another way?)");
    }

    private static XenRigImage read(Path dir) throws IOException {
        Path props = dir.resolve("image.properties");
        for (String f : List.of("xen.elf", "vmlinuz", "vmlinux", "dom0-initrd.cpio.gz", "domu-initrd.cpio.gz")) {
            if (!Files.isRegularFile(dir.resolve(f))) return null;
        }
        if (!Files.isRegularFile(props)) return null;
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(props)) {
            meta.load(in);
        }
        return new XenRigImage(dir.resolve("xen.elf"), dir.resolve("vmlinuz"), dir.resolve("vmlinux"),
                dir.resolve("dom0-initrd.cpio.gz"), dir.resolve("domu-initrd.cpio.gz"),
                meta.getProperty("kernelVersion", "unknown"), meta.getProperty("xenPackage", "unknown"));
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        return Stream.of(lists).flatMap(List::stream).toList();
    }
}
