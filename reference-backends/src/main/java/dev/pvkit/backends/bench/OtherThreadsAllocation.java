package dev.pvkit.backends.bench;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Bytes allocated on the heap by every thread of this JVM except the calling one: with the benchmark's front-end on
 * the calling thread and PVKit's back-end in the same JVM, that is the back-end's allocation (its session, workers,
 * and whatever helper threads it wakes). Threads that end between two readings take their count with them, so a
 * reading covers threads that live through the run; the back-end's do.
 */
final class OtherThreadsAllocation {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private OtherThreadsAllocation() {
    }

    /** True when the JVM can count allocation per thread (HotSpot can, and has it on by default). */
    static boolean supported() {
        return THREADS.isThreadAllocatedMemorySupported() && THREADS.isThreadAllocatedMemoryEnabled();
    }

    /** Per-thread counts now, to subtract from a later reading. */
    static Map<Long, Long> reading() {
        long self = Thread.currentThread().getId();
        long[] ids = Arrays.stream(THREADS.getAllThreadIds()).filter(id -> id != self).toArray();
        long[] bytes = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) m.put(ids[i], bytes[i]); // -1: the thread ended meanwhile
        }
        return m;
    }

    /**
     * What the other threads allocated since {@code earlier}: per thread alive now, its count less its earlier one (a
     * thread started since counts from 0). A thread that ended meanwhile is left out, so this never goes negative.
     */
    static long since(Map<Long, Long> earlier) {
        long total = 0;
        for (Map.Entry<Long, Long> e : reading().entrySet()) total += e.getValue() - earlier.getOrDefault(e.getKey(), 0L);
        return total;
    }
}
