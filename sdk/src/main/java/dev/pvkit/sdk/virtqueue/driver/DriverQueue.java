package dev.pvkit.sdk.virtqueue.driver;

import dev.pvkit.sdk.virtqueue.Segment;

import java.util.ArrayList;
import java.util.List;

/**
 * The driver side of one virtqueue, written independently of the device queues: it is what tests and
 * benchmarks use to play a guest driver against them. A correct, simple driver, not a fast one. Not thread-safe.
 */
public interface DriverQueue {

    int size();

    /** Whether a chain of that shape fits now (free descriptors, and an indirect slot when asked for). */
    boolean canPost(int readable, int writable, boolean indirect);

    /**
     * Makes a chain of {@code readable} then {@code writable} buffers available (through an indirect table when
     * {@code indirect}); returns the id its used entry will carry. Split rings expose it at the next
     * {@link #publish()}; packed rings at once.
     */
    int post(List<Segment> readable, List<Segment> writable, boolean indirect);

    /** Publishes what was posted; true when the device asked for an available-buffer notification. */
    boolean publish();

    /** Used entries the device has published since the last call, in ring order. */
    default List<Used> reap() {
        List<Used> out = new ArrayList<>();
        reap((id, length) -> out.add(new Used(id, length)));
        return out;
    }

    /**
     * {@link #reap()} without a list or an entry object per chain: each used entry goes to {@code sink} as it is
     * checked, in ring order. Returns how many there were. What a front-end on the request path calls.
     */
    int reap(UsedSink sink);

    /** Chains posted and not yet reaped. */
    int outstanding();

    /** Asks for used-buffer notifications (the default) or not. */
    void setInterruptsWanted(boolean wanted);

    /** Takes used entries from {@link #reap(UsedSink)}. */
    @FunctionalInterface
    interface UsedSink {
        void used(int id, long length);
    }

    /** One used entry: the chain's id and the length the device reported written. */
    record Used(int id, long length) {
    }
}
