package dev.pvkit.conformance.explore;

import java.util.List;

/**
 * What the guest does during a try: rounds of pings to the responder, each of a size (up to 9000 bytes: IPv4
 * fragments, several frames in one burst) and a count, from a CPU (with more than one queue pair, the CPU picks the
 * transmit queue).
 *
 * @param pings the rounds, in order
 */
public record NetWorkload(List<Ping> pings) {
    /** The largest ping payload: beyond one frame, so that a ping is a burst of IPv4 fragments. */
    public static final int MAX_SIZE = 9000;

    /** {@code count} pings of {@code size} payload bytes from CPU {@code cpu}. */
    public record Ping(int count, int size, int cpu) {
        public Ping {
            if (count < 1 || count > 10) throw new IllegalArgumentException("ping count " + count + " outside 1..10");
            if (size < 0 || size > MAX_SIZE) throw new IllegalArgumentException("ping size " + size + " outside 0.." + MAX_SIZE);
            if (cpu < 0) throw new IllegalArgumentException("negative cpu");
        }
    }

    public NetWorkload {
        pings = List.copyOf(pings);
        if (pings.isEmpty()) throw new IllegalArgumentException("a workload pings at least once");
    }

    /** Echo requests the workload sends. */
    public int requests() {
        return pings.stream().mapToInt(Ping::count).sum();
    }
}
