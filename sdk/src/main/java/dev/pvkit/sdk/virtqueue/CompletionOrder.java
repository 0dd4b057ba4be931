package dev.pvkit.sdk.virtqueue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * Tracks chains in flight and releases completions to the ring: immediately, or, under IN_ORDER, only in the
 * order the chains were taken from the ring.
 */
final class CompletionOrder {
    private final boolean inOrder;
    private final ChainsBySequence outstanding = new ChainsBySequence();
    /** Under IN_ORDER only: written lengths of chains completed ahead of their turn. */
    private final Map<Long, Long> early = new HashMap<>();
    private long nextSequence;
    private long nextToRelease;

    CompletionOrder(boolean inOrder) {
        this.inOrder = inOrder;
    }

    long nextSequence() {
        return nextSequence++;
    }

    void taken(Chain chain) {
        outstanding.put(chain.sequence, chain);
    }

    int inFlight() {
        return outstanding.size();
    }

    /** Marks {@code chain} complete; {@code release} receives every chain that may now be written as used. */
    void completed(Chain chain, long written, ObjLongConsumer<Chain> release) {
        if (outstanding.get(chain.sequence) != chain) {
            throw new IllegalStateException("chain " + chain.id() + " is not in flight on this queue (completed twice?)");
        }
        if (written < 0 || written > chain.writableBytes()) {
            throw new IllegalArgumentException("written length " + written + " outside 0.." + chain.writableBytes()
                    + " for chain " + chain.id());
        }
        if (!inOrder) {
            outstanding.remove(chain.sequence);
            release.accept(chain, written);
            return;
        }
        early.put(chain.sequence, written);
        while (early.containsKey(nextToRelease)) {
            long w = early.remove(nextToRelease);
            Chain c = outstanding.remove(nextToRelease);
            nextToRelease++;
            release.accept(c, w);
        }
    }

    /** A rejected chain skipped under IN_ORDER still takes its turn; without IN_ORDER it is released at once. */
    void skipped(Chain placeholder, ObjLongConsumer<Chain> release) {
        taken(placeholder);
        completed(placeholder, 0, release);
    }
}
