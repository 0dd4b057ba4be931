package dev.pvkit.backends.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;

/**
 * Heap bytes allocated by the threads of this JVM other than the calling one. The benchmark's front-end runs on the
 * calling thread, so with PVKit's back-end in the same JVM this is what the back-end allocated: its workers, its
 * session thread, and helpers it keeps busy (JNA's cleaner).
 *
 * <p>Counted per thread, as the growth of each thread alive at the end over its count at the start (0 for a thread
 * started meanwhile): a thread that ends in between (the previous connection's workers, stopping asynchronously)
 * would otherwise take its whole count with it and make the total negative. The back-end's threads for the
 * measured connection live through the measurement, so nothing of theirs is lost.
 */
final class OtherThreadsAllocation {
    private static final com.sun.management.ThreadMXBean THREADS =
            ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t ? t : null;

    private final Map<Long, Long> start;
    /** The front-end's threads, left out of the count. */
    private final java.util.Set<Long> excluded;

    private OtherThreadsAllocation(java.util.Set<Long> excluded) {
        this.excluded = excluded;
        this.start = now();
    }

    /** True when this JVM counts allocation per thread (HotSpot does, by default). */
    static boolean supported() {
        return THREADS != null && THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled();
    }

    /** Starts counting now, everything but the calling thread. Only when {@link #supported()}. */
    static OtherThreadsAllocation start() {
        return new OtherThreadsAllocation(java.util.Set.of(Thread.currentThread().getId()));
    }

    /** Starts counting now, everything but the calling thread and the threads {@code frontEnd} names (ids). */
    static OtherThreadsAllocation start(java.util.Set<Long> frontEnd) {
        java.util.Set<Long> all = new java.util.HashSet<>(frontEnd);
        all.add(Thread.currentThread().getId());
        return new OtherThreadsAllocation(all);
    }

    /** Bytes the other threads allocated since {@link #start()}. */
    long bytes() {
        long total = 0;
        for (Map.Entry<Long, Long> e : now().entrySet()) total += e.getValue() - start.getOrDefault(e.getKey(), 0L);
        return total;
    }

    private Map<Long, Long> now() {
        long[] ids = THREADS.getAllThreadIds();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (!excluded.contains(ids[i]) && bytes[i] >= 0) m.put(ids[i], bytes[i]); // -1: the thread ended meanwhile
        }
        return m;
    }
}
