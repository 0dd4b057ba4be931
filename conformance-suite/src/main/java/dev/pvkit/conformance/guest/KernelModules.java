package dev.pvkit.conformance.guest;

import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The kernel modules a set of drivers needs, in load order. A Debian kernel package ships no {@code modules.dep}
 * (depmod runs at install time), so dependencies are read from each module's {@code .modinfo} section, the
 * NUL-separated {@code depends=a,b} entry. Modules named in {@code modules.builtin} are part of the kernel and
 * skipped. {@code .ko.xz} modules are decompressed, because busybox insmod loads only plain ones.
 */
public final class KernelModules {
    /** A module ready for the initramfs: its name (dashes as underscores) and its uncompressed bytes. */
    public record Module(String name, byte[] bytes) {
    }

    private KernelModules() {
    }

    /** Reads {@code modulesDir} (a {@code lib/modules/<version>} tree) and orders what {@code roots} need. */
    public static List<Module> loadOrder(Path modulesDir, Collection<String> roots) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(modulesDir)) {
            s.filter(p -> isModuleFile(p.getFileName().toString())).sorted()
                    .forEach(p -> files.putIfAbsent(moduleName(p.getFileName().toString()), p));
        }
        Set<String> builtin = new HashSet<>();
        Path builtinList = modulesDir.resolve("modules.builtin");
        if (Files.isRegularFile(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                String f = line.substring(line.lastIndexOf('/') + 1);
                if (isModuleFile(f)) builtin.add(moduleName(f));
            }
        }
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        Map<String, List<String>> deps = new LinkedHashMap<>();
        // Reads modules lazily: only those reachable from the roots are opened.
        List<String> order = order(roots, builtin, name -> {
            Path p = files.get(name);
            if (p == null) throw new IllegalStateException("kernel module " + name + " is neither in "
                    + modulesDir + " nor built in");
            byte[] b = read(p);
            bytes.put(name, b);
            List<String> d = modinfo(b, "depends");
            deps.put(name, d);
            return d;
        });
        return order.stream().map(n -> new Module(n, bytes.get(n))).toList();
    }

    /** Looks up one module's direct dependencies. */
    @FunctionalInterface
    public interface Dependencies {
        List<String> of(String module) throws IOException;
    }

    /**
     * Depth-first order: every module after all its dependencies, each once, roots in the order given. Throws on
     * a dependency cycle (the kernel could not load such modules either).
     */
    public static List<String> order(Collection<String> roots, Set<String> builtin, Dependencies deps) throws IOException {
        List<String> order = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (String root : roots) visit(normalise(root), builtin, deps, new LinkedHashSet<>(), done, order);
        return order;
    }

    private static void visit(String name, Set<String> builtin, Dependencies deps, LinkedHashSet<String> path,
                              Set<String> done, List<String> order) throws IOException {
        if (done.contains(name) || builtin.contains(name)) return;
        if (!path.add(name)) throw new IllegalStateException("module dependency cycle: " + path + " -> " + name);
        for (String d : deps.of(name)) visit(normalise(d), builtin, deps, path, done, order);
        path.remove(name);
        done.add(name);
        order.add(name);
    }

    /** Values of a {@code .modinfo} key ({@code key=v1,v2}, NUL-terminated) in a module's bytes. */
    public static List<String> modinfo(byte[] ko, String key) {
        byte[] needle = ("\0" + key + "=").getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + needle.length <= ko.length; i++) {
            for (int j = 0; j < needle.length; j++) if (ko[i + j] != needle[j]) continue outer;
            int start = i + needle.length;
            int end = start;
            while (end < ko.length && ko[end] != 0) end++;
            String v = new String(ko, start, end - start, StandardCharsets.US_ASCII).trim();
            return v.isEmpty() ? List.of() : List.of(v.split(","));
        }
        return List.of();
    }

    static boolean isModuleFile(String fileName) {
        return fileName.endsWith(".ko") || fileName.endsWith(".ko.xz");
    }

    static String moduleName(String fileName) {
        return normalise(fileName.substring(0, fileName.indexOf(".ko")));
    }

    static String normalise(String module) {
        return module.trim().replace('-', '_');
    }

    private static byte[] read(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        if (!p.getFileName().toString().endsWith(".xz")) return b;
        try (XZInputStream in = new XZInputStream(new ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }
}
