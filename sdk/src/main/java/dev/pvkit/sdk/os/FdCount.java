package dev.pvkit.sdk.os;

import java.io.File;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** This process's open file descriptors, for tests that check nothing leaks. */
public final class FdCount {
    private FdCount() {
    }

    /** Open descriptors, not counting the one used to list /proc/self/fd. */
    public static int open() {
        return list().length - 1;
    }

    /**
     * The open descriptor numbers. A leak check compares two of these rather than two counts: other threads of the
     * process (a session of an earlier test ending, a cleaner) may close descriptors meanwhile, which a count would
     * mistake for, or hide behind, the code under test.
     */
    public static Set<Integer> snapshot() {
        Set<Integer> open = Arrays.stream(list()).map(Integer::valueOf).collect(Collectors.toCollection(TreeSet::new));
        // The listing's own descriptor is closed by now. Left in, it would hide a leak that reuses its number later.
        open.removeIf(fd -> !new File("/proc/self/fd/" + fd).exists());
        return open;
    }

    /** Descriptors open now that were not open in {@code before}. */
    public static Set<Integer> openedSince(Set<Integer> before) {
        Set<Integer> now = snapshot();
        now.removeAll(before);
        return now;
    }

    /**
     * The descriptors open now and not in {@code before} that a back-end could leak — sockets, pipes, eventfds,
     * epolls, memfds and other anonymous kernel objects — each with what it points at. Regular files are left out:
     * the JVM opens some on its own at any moment (a jar or class file loaded for the first time, /proc and /sys for
     * its own statistics), which once failed leak checks under load though no PVKit code had opened anything.
     */
    public static java.util.Map<Integer, String> kernelObjectsOpenedSince(Set<Integer> before) {
        java.util.Map<Integer, String> leaked = new java.util.TreeMap<>();
        for (int fd : openedSince(before)) {
            String target = target(fd);
            if (target == null) continue; // closed meanwhile
            if (target.startsWith("socket:") || target.startsWith("pipe:") || target.startsWith("anon_inode:")
                    || target.startsWith("/memfd:")) {
                leaked.put(fd, target);
            }
        }
        return leaked;
    }

    /** Where {@code fd} points (/proc/self/fd's link), or null when it is not open. */
    public static String target(int fd) {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + fd)).toString();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static String[] list() {
        String[] entries = new File("/proc/self/fd").list();
        if (entries == null) throw new IllegalStateException("cannot list /proc/self/fd");
        return entries;
    }
}
