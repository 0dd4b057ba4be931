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
    /**
     * Sequence numbers in flight. A taken chain records which order took it ({@link Chain#takenBy}), so this plus
     * the set tells a chain in flight here from one completed already or taken by another queue, with no reference
     * to the chain kept.
     */
    private final SequenceSet outstanding = new SequenceSet();
    /** Under IN_ORDER only: chains completed ahead of their turn, with their written lengths. */
    private final Map<Long, Early> early = new HashMap<>();
    private long nextSequence;
    private long nextToRelease;

    private record Early(Chain chain, long written) {
    }

    CompletionOrder(boolean inOrder) {
        this.inOrder = inOrder;
    }

    long nextSequence() {
        return nextSequence++;
    }

    void taken(Chain chain) {
        chain.takenBy = this;
        outstanding.add(chain.sequence);
    }

    int inFlight() {
        return outstanding.size();
    }

    /** Marks {@code chain} complete; {@code release} receives every chain that may now be written as used. */
    void completed(Chain chain, long written, ObjLongConsumer<Chain> release) {
        boolean validLength = written >= 0 && written <= chain.writableBytes();
        // Without IN_ORDER a valid completion looks the chain up once, removing it; anything else first asks
        // whether it is in flight, so a chain not in flight is refused as such whatever its length, and one in
        // flight with a bad length stays in flight.
        if (!inOrder && validLength && chain.takenBy == this && outstanding.remove(chain.sequence)) {
            release.accept(chain, written);
            return;
        }
        if (chain.takenBy != this || !outstanding.contains(chain.sequence)) {
            throw new IllegalStateException("chain " + chain.id() + " is not in flight on this queue (completed twice?)");
        }
        if (!validLength) {
            throw new IllegalArgumentException("written length " + written + " outside 0.." + chain.writableBytes()
                    + " for chain " + chain.id());
        }
        early.put(chain.sequence, new Early(chain, written));
        while (early.containsKey(nextToRelease)) {
            Early e = early.remove(nextToRelease);
            outstanding.remove(nextToRelease);
            nextToRelease++;
            release.accept(e.chain(), e.written());
        }
    }

    /** A rejected chain skipped under IN_ORDER still takes its turn; without IN_ORDER it is released at once. */
    void skipped(Chain placeholder, ObjLongConsumer<Chain> release) {
        taken(placeholder);
        completed(placeholder, 0, release);
    }
}
