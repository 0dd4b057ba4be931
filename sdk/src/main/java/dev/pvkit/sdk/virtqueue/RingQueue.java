package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.function.ObjLongConsumer;

/** What the split and packed device queues share: configuration, validation, completion order and state. */
abstract class RingQueue implements DeviceQueue {

    final GuestMemory memory;
    final QueueConfig config;
    final QueueObserver observer;
    final ValidationPolicy policy;
    final ChainBuilder builder;
    final CompletionOrder order;
    /** {@link #writeUsed} as the order's release callback, made once rather than a bound lambda per completion. */
    private final ObjLongConsumer<Chain> release = this::writeUsed;
    ChainError brokenBy;
    long descriptorsRead;
    // The driver's suppression fields at the last read, so only changes reach the observer.
    private boolean suppressionSeen;
    private int lastSuppressionFlags;
    private int lastSuppressionEvent;

    RingQueue(GuestMemory memory, QueueConfig config) {
        this.memory = memory;
        this.config = config;
        this.observer = config.observer();
        this.policy = config.policy();
        this.builder = new ChainBuilder(memory, policy, config.index(), config.packed());
        this.order = new CompletionOrder(config.inOrder());
    }

    /** Refuses a ring area that is misaligned or not wholly inside guest memory. */
    static void checkArea(GuestMemory memory, QueueConfig c, String what, long address, long bytes, int align) {
        if ((address & (align - 1)) != 0) {
            throw new QueueSetupException(String.format("queue %d: %s at 0x%x is not %d-byte aligned", c.index(), what, address, align));
        }
        if (!memory.contains(address, bytes)) {
            throw new QueueSetupException(String.format("queue %d: %s 0x%x+%d is not inside guest memory", c.index(), what, address, bytes));
        }
    }

    /**
     * Reports the driver's suppression fields as just read when they differ from the last read (or are the first):
     * plain int compares, nothing allocated.
     */
    final void suppressionRead(int flags, int event) {
        if (suppressionSeen && flags == lastSuppressionFlags && event == lastSuppressionEvent) return;
        suppressionSeen = true;
        lastSuppressionFlags = flags;
        lastSuppressionEvent = event;
        observer.driverSuppressionRead(config.index(), flags, event);
    }

    @Override
    public void kickReceived() {
        observer.kickReceived(config.index());
    }

    /** Writes one completion into the ring; called in the order {@link CompletionOrder} releases them. */
    abstract void writeUsed(Chain chain, long written);

    @Override
    public int index() {
        return config.index();
    }

    @Override
    public int size() {
        return config.size();
    }

    @Override
    public void complete(Chain chain, long written) {
        order.completed(chain, written, release);
    }

    @Override
    public boolean isBroken() {
        return brokenBy != null;
    }

    @Override
    public ChainError brokenBy() {
        return brokenBy;
    }

    @Override
    public int inFlight() {
        return order.inFlight();
    }

    @Override
    public long descriptorsRead() {
        return descriptorsRead;
    }
}
