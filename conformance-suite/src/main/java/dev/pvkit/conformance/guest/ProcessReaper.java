package dev.pvkit.conformance.guest;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Kills process trees: a QEMU and everything it started (helpers, bridges), children first so none is
 * re-parented to init and left behind. Trees registered with {@link #register} are also killed when the JVM
 * exits, however the test run ends.
 */
public final class ProcessReaper {
    private static final Set<ProcessHandle> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ProcessReaper::killTree),
                "pvkit-process-reaper"));
    }

    private ProcessReaper() {
    }

    static void register(ProcessHandle root) {
        LIVE.add(root);
    }

    static void unregister(ProcessHandle root) {
        LIVE.remove(root);
    }

    /** Kills {@code root} and its descendants and waits (bounded) until they are gone. */
    public static void killTree(ProcessHandle root) {
        List<ProcessHandle> descendants = root.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        root.destroyForcibly();
        for (ProcessHandle h : concat(descendants, root)) {
            try {
                h.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // nothing more can be done than SIGKILL; a zombie is reaped by its parent
            }
        }
        LIVE.remove(root);
    }

    private static List<ProcessHandle> concat(List<ProcessHandle> list, ProcessHandle last) {
        return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(last)).toList();
    }
}
