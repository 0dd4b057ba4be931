package dev.pvkit.sdk.observe;

import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainError;
import dev.pvkit.sdk.virtqueue.Reaction;

/**
 * What a device-side queue sees, step by step. Monitors (the conformance suite) implement this to check a
 * driver's behaviour without touching queue code; the SDK itself never depends on who listens. Calls come on
 * the queue's worker thread, in order; a listener must not block.
 */
public interface QueueObserver {

    /** The driver's available position was read (split: avail.idx; packed: the next slot became available). */
    default void availIndexRead(int queue, int previous, int current) {
    }

    /** A chain passed validation (possibly with tolerated violations, see {@link Chain#tolerated()}). */
    default void chainRead(int queue, Chain chain) {
    }

    /** A chain broke a rule and the queue reacted. */
    default void chainRejected(int queue, ChainError error, Reaction reaction) {
    }

    /** A used entry was written (not yet published). */
    default void usedWritten(int queue, int id, long length) {
    }

    /** The used position was published (split: used.idx; packed: the used flags of the last used descriptor). */
    default void usedPublished(int queue, int usedIndex) {
    }

    /** The queue decided whether the driver needs a used-buffer notification, and why. */
    default void notificationDecided(int queue, boolean notify, String reason) {
    }

    QueueObserver NONE = new QueueObserver() {
    };
}
