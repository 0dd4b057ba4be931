package dev.pvkit.sdk.virtqueue;

/**
 * The device side of one virtqueue, split or packed. Not thread-safe: one worker owns a queue.
 *
 * <p>Typical loop: {@code while ((c = q.poll()) != null) { handle(c); q.complete(c, written); }} then
 * {@code if (q.publish()) notifyDriver();}. Completions may come in any order unless VIRTIO_F_IN_ORDER was
 * negotiated, in which case the queue itself holds early completions back until their predecessors complete.
 */
public interface DeviceQueue {

    int index();

    int size();

    /**
     * The next valid chain, or null when the driver has made none available (or the queue is broken). Chains that
     * break a rule never reach the caller: they are reported to the observer and handled by the policy.
     */
    Chain poll();

    /**
     * Gives {@code chain} back to the driver with {@code written} bytes (0..{@link Chain#writableBytes()}) written
     * into its writable segments. A split chain of exactly 2^32 writable bytes written in full is reported as
     * 2^32 - 1, the most a used element holds (a device may write more than it reports).
     */
    void complete(Chain chain, long written);

    /** Makes completions visible to the driver; true when the driver asked to be notified of them. */
    boolean publish();

    /**
     * True when {@link #poll()} has something to look at: a chain the driver made available, or one to resubmit.
     * Only reads the ring and reports nothing to the observer, so a worker may ask it in a tight loop while it polls
     * instead of sleeping. False once the queue is broken.
     */
    boolean hasAvailable();

    /**
     * True when the driver asks for used-buffer notifications with no condition attached (split: no EVENT_IDX and
     * {@code avail.flags} without NO_INTERRUPT; packed: driver event flags ENABLE). A notification sent then with
     * nothing new in the used ring is a spurious one, which the driver must cope with; under suppression or an
     * event index the device should not send it. Reads the ring only.
     */
    boolean notificationsWanted();

    /** Asks the driver for available-buffer notifications again; true when buffers arrived meanwhile (poll again). */
    boolean enableNotifications();

    /** Tells the driver that notifications are not needed (the device is polling). */
    void disableNotifications();

    /** True once a violation with reaction NEEDS_RESET stopped the queue. */
    boolean isBroken();

    /** The violation that stopped the queue, or null. */
    ChainError brokenBy();

    /** Chains handed out by {@link #poll()} and not yet completed. */
    int inFlight();

    /** Descriptors read so far, ring and indirect: a cost metric, and the step bound hostile-input tests check. */
    long descriptorsRead();

    /**
     * The driver's kick eventfd for this queue fired (once per wake-up, however many writes it merged); called by
     * whoever watches the eventfd, before the queue is processed, so the observer sees the available-buffer
     * notification ({@link QueueObserver#kickReceived}).
     */
    default void kickReceived() {
    }

    /**
     * Gives {@code chains}, every chain in flight, back to the driver as if they had never been taken: the available
     * position moves back over them, so {@link #base()} and a queue built from it offer them again. Possible only when
     * they are the last chains taken (each taken after every one completed), as with receive buffers a device fills
     * in order; then returns true and they may not be completed any more. Otherwise changes nothing and returns false.
     * What a device that holds buffers until data arrives does when its ring stops, so that the driver's buffers are
     * not lost across the stop.
     */
    default boolean giveBack(java.util.Collection<Chain> chains) {
        return false;
    }

    /** The position to resume from, in vhost-user's GET_VRING_BASE encoding (see {@link QueueConfig#base()}). */
    long base();
}
