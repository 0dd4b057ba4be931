package dev.pvkit.sdk.virtqueue;

/**
 * What a device-side queue sees, step by step. Monitors (the conformance suite) implement this to check a
 * driver's behaviour without touching queue code; the SDK itself never depends on who listens. Calls come on
 * the queue's worker thread, in order; a listener must not block.
 */
public interface QueueObserver {

    /**
     * The driver's available position moved, as the device learnt it. Split: {@code avail.idx} was read and
     * differs from the last value read. Packed: a list was taken (or skipped), and the device's available
     * position moved from its first slot to the slot after it (off_wrap form: slot in bits 0–14, wrap bit 15).
     */
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

    /**
     * The used position was published. Split: the {@code used.idx} value stored. Packed: the device's used
     * position (off_wrap form) after the used descriptors made visible since the last publish.
     */
    default void usedPublished(int queue, int usedIndex) {
    }

    /** The queue decided whether the driver needs a used-buffer notification, and why. */
    default void notificationDecided(int queue, boolean notify, String reason) {
    }

    /** The driver notified the queue: its kick eventfd fired (once per wake-up, however many writes it counted). */
    default void kickReceived(int queue) {
    }

    /**
     * The device read the driver's notification-suppression fields: split {@code avail.flags} and {@code used_event}
     * (the latter meaningful with EVENT_IDX only); packed driver event suppression {@code flags} and
     * {@code off_wrap}. Read when the device decides whether to notify (each publish) and when the driver's
     * available position moves; reported the first time and then whenever a value differs from the last one read.
     */
    default void driverSuppressionRead(int queue, int flags, int event) {
    }

    QueueObserver NONE = new QueueObserver() {
    };
}
