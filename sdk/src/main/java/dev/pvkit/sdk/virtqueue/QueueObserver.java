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

    /**
     * A queue was built at the initial position (split: index 0; packed: slot 0 with both wrap counters 1), before
     * the device wrote anything to it: what the driver's ring held then. Split: {@code used.flags}, {@code used.idx}
     * and {@code avail.idx} as read. Reported on every such build (a ring rebuilt on a new memory map too).
     */
    default void splitRingAtStart(int queue, int usedFlags, int usedIdx, int availIdx) {
    }

    /**
     * As {@link #splitRingAtStart}, packed: {@code strangeSlots} is how many descriptor slots carry flags that are
     * neither zero nor marked available for the first lap (AVAIL 1, USED 0); {@code firstStrange} the first of them
     * (-1 when none) and {@code firstStrangeFlags} its flags.
     */
    default void packedRingAtStart(int queue, int strangeSlots, int firstStrange, int firstStrangeFlags) {
    }

    /**
     * Packed: the slot at the device's next available position is not available for the lap it expects
     * ({@code expectedWrap}) and its flags ({@code flags}) are ones a driver keeping its wrap counter could not
     * have left there: marked used for this lap (AVAIL and USED both equal to {@code expectedWrap}), once the device's
     * available position wrapped since the build or in the first lap after start; or, with
     * {@code firstLapAfterStart} (the queue was built at the initial position and the device has not yet passed
     * slot Q-1), anything non-zero; or, with {@code afterUsedWrite} (the device's last write to the slot was its
     * used descriptor of the previous lap), marked available for the previous lap. Reported when first seen and
     * whenever slot or flags differ from the last report.
     */
    default void unexpectedSlotFlags(int queue, int slot, boolean expectedWrap, int flags, boolean firstLapAfterStart,
                                     boolean afterUsedWrite) {
    }

    QueueObserver NONE = new QueueObserver() {
    };
}
