package dev.pvkit.conformance.explore;

import java.util.List;

/**
 * What the driver is asked to do: {@code ops} in order, {@code depth} at a time (requests in flight together never
 * overlap: the runner starts a new round at an overlap), the whole list {@code rounds} times, then its idea of the
 * capacity is asked. Long runs exist for bugs that only show after many requests (a 16-bit index wrapping).
 */
public record BlkWorkload(List<BlkOp> ops, int depth, int rounds) {
    public BlkWorkload {
        ops = List.copyOf(ops);
        if (ops.isEmpty()) throw new IllegalArgumentException("a workload needs at least one request");
        if (depth < 1 || rounds < 1) throw new IllegalArgumentException("depth and rounds must be at least 1");
    }

    /** Requests the driver submits in all. */
    public long requests() {
        return (long) ops.size() * rounds;
    }
}
