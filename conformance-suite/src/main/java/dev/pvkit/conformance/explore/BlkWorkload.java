package dev.pvkit.conformance.explore;

import java.util.List;

/**
 * What the driver is asked to do: {@code ops} in order, {@code depth} at a time (requests in flight together never
 * overlap: the runner starts a new round at an overlap), the whole list {@code rounds} times, then its idea of the
 * capacity is asked. Long runs exist for bugs that only show after many requests (a 16-bit index wrapping).
 * {@code direct}: a guest's writes and reads go past its page cache (O_DIRECT), so each is the driver's requests at
 * once rather than a write-back or read-ahead later (a Java model driver has no cache and ignores it).
 */
public record BlkWorkload(List<BlkOp> ops, int depth, int rounds, boolean direct) {
    public BlkWorkload {
        ops = List.copyOf(ops);
        if (ops.isEmpty()) throw new IllegalArgumentException("a workload needs at least one request");
        if (depth < 1 || rounds < 1) throw new IllegalArgumentException("depth and rounds must be at least 1");
    }

    /** A workload through the page cache. */
    public BlkWorkload(List<BlkOp> ops, int depth, int rounds) {
        this(ops, depth, rounds, false);
    }

    /** Requests the driver submits in all. */
    public long requests() {
        return (long) ops.size() * rounds;
    }
}
