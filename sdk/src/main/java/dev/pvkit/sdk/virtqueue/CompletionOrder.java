package dev.pvkit.sdk.virtqueue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * Tracks chains in flight and releases completions to the ring: immediately, or, under IN_ORDER, only in the
 * order the chains were taken from the ring.
 */
final class CompletionOrder {
    /** Where the tokens come from: one per order, never 0 (a chain's "not in flight"). */
    private static final java.util.concurrent.atomic.AtomicInteger TOKENS = new java.util.concurrent.atomic.AtomicInteger();

    /** What a chain in flight on this order carries in {@link Chain#takenBy}: this order's own number. */
    final int token = nextToken();
    private final boolean inOrder;
    /**
     * Chains in flight. Which ones is kept on the chains themselves ({@link Chain#takenBy} is this order from take to
     * release), so taking and completing one touches no table: a set of sequence numbers cost a hash probe each way,
     * and a table of chains also a collector write barrier, with a memory fence, per take.
     */
    private int inFlight;
    /** Under IN_ORDER only: chains completed ahead of their turn, with their written lengths. */
    private final Map<Long, Early> early = new HashMap<>();
    private long nextSequence;
    private long nextToRelease;
    /** The highest sequence released so far (-1: none), which tells whether the chains in flight are the last taken. */
    private long maxReleased = -1;

    private record Early(Chain chain, long written) {
    }

    CompletionOrder(boolean inOrder) {
        this.inOrder = inOrder;
    }

    private static int nextToken() {
        int t;
        do t = TOKENS.incrementAndGet(); while (t == 0);
        return t;
    }

    long nextSequence() {
        return nextSequence++;
    }

    void taken(Chain chain) {
        chain.takenBy = token;
        inFlight++;
    }

    int inFlight() {
        return inFlight;
    }

    /** Marks {@code chain} complete; {@code release} receives every chain that may now be written as used. */
    void completed(Chain chain, long written, ObjLongConsumer<Chain> release) {
        if (chain.takenBy != token) {
            throw new IllegalStateException("chain " + chain.id() + " is not in flight on this queue (completed twice?)");
        }
        if (written < 0 || written > chain.writableBytes()) {
            throw new IllegalArgumentException("written length " + written + " outside 0.." + chain.writableBytes()
                    + " for chain " + chain.id());
        }
        if (!inOrder) {
            released(chain);
            release.accept(chain, written);
            return;
        }
        early.put(chain.sequence, new Early(chain, written));
        while (early.containsKey(nextToRelease)) {
            Early e = early.remove(nextToRelease);
            released(e.chain());
            nextToRelease++;
            release.accept(e.chain(), e.written());
        }
    }

    /** {@code chain} is no longer in flight: a later completion of it is refused. */
    private void released(Chain chain) {
        chain.takenBy = 0;
        inFlight--;
        if (chain.sequence > maxReleased) maxReleased = chain.sequence;
    }

    /**
     * Whether {@code chains} are every chain in flight and were all taken after every chain released: then the ring
     * position can move back over them as if they had never been taken.
     */
    boolean areTheLastTaken(java.util.Collection<Chain> chains) {
        if (chains.size() != inFlight || inFlight == 0) return false;
        for (Chain c : chains) {
            if (c.takenBy != token || c.sequence <= maxReleased) return false;
        }
        return true;
    }

    /** {@code chains} (every chain in flight) go back to the driver untaken: none of them may be completed any more. */
    void forget(java.util.Collection<Chain> chains) {
        for (Chain c : chains) c.takenBy = 0;
        inFlight = 0;
    }

    /** A rejected chain skipped under IN_ORDER still takes its turn; without IN_ORDER it is released at once. */
    void skipped(Chain placeholder, ObjLongConsumer<Chain> release) {
        taken(placeholder);
        completed(placeholder, 0, release);
    }
}
