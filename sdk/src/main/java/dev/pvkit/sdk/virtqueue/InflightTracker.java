package dev.pvkit.sdk.virtqueue;

import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Where a split queue records which chains it took and has not yet returned, in memory that outlives the
 * back-end process (vhost-user's inflight area). After a restart the queue asks it which chains to resubmit, so
 * every request in flight at a crash is completed exactly once.
 */
public interface InflightTracker {

    /** Chain {@code head} was taken from the available ring. */
    void taken(int head);

    /** The used index {@code usedIdx} was published, completing {@code heads[0..count)}. */
    void published(int[] heads, int count, int usedIdx);

    /**
     * Reconciles the record with the ring after a restart and returns the heads still in flight, oldest first.
     * {@code ringUsedIdx} is the used index the driver sees; {@code usedIdAt} reads the id of used-ring entry
     * {@code i} (free-running index), so entries published just before a crash can be recognised as completed.
     */
    List<Integer> recover(int ringUsedIdx, IntUnaryOperator usedIdAt);
}
