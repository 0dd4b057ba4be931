package dev.pvkit.sdk.vhostuser;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether a worker may poll now, over every worker of the process (they share the CPUs). Polling pays only while
 * the driver has a CPU of its own to post from; where drivers and workers outnumber the CPUs, a polling worker takes
 * the CPU a driver or another worker needed, and tails grow (measured on 2 CPUs with 2 busy queues and 2 driver
 * threads: polling tripled the p99 latency, while with one busy queue it multiplied IOPS). So a worker polls only
 * while the workers that serve rings are at most half the CPUs (the other half left to the drivers), and, within
 * that, only while the workers awake leave a CPU free, stopping as soon as another wakes. On a 2-CPU host: one
 * worker with rings polls, two do not; on one CPU none does.
 */
final class PollGate {
    private static final int CPUS = Runtime.getRuntime().availableProcessors();
    /** Workers not asleep in epoll: serving, polling, or between the two. */
    private static final AtomicInteger AWAKE = new AtomicInteger();
    /** Workers with at least one started ring. */
    private static final AtomicInteger SERVING = new AtomicInteger();

    private PollGate() {
    }

    static boolean mayPoll() {
        return SERVING.get() <= CPUS / 2 && AWAKE.get() <= CPUS - 1;
    }

    static void awake() {
        AWAKE.incrementAndGet();
    }

    static void asleep() {
        AWAKE.decrementAndGet();
    }

    static void serving() {
        SERVING.incrementAndGet();
    }

    static void notServing() {
        SERVING.decrementAndGet();
    }
}
