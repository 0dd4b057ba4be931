package dev.pvkit.sdk.testkit;

import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainError;
import dev.pvkit.sdk.virtqueue.ChainRule;
import dev.pvkit.sdk.virtqueue.QueueObserver;
import dev.pvkit.sdk.virtqueue.Reaction;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link QueueObserver} that keeps what a device-side queue saw, for assertions: the chains it handed out, the
 * chains it rejected (with their {@link ChainRule} and the queue's reaction), the used entries it wrote, the
 * positions it published, its notification decisions, and every call as one line of text ({@link #events()}).
 * Thread-safe: a queue reports on its own thread, a test reads on another. Usable on its own, with any
 * {@link dev.pvkit.sdk.virtqueue.QueueConfig#withObserver queue}; {@link DeviceHarness} puts one on each queue.
 */
public final class QueueRecorder implements QueueObserver {

    /** A chain that broke a rule, and what the queue did about it. */
    public record Rejection(int queue, ChainError error, Reaction reaction) {
        public ChainRule rule() {
            return error.rule();
        }
    }

    /** A used entry written (not necessarily published yet). */
    public record Used(int queue, int id, long length) {
    }

    /** The driver's available position moved, as the device learnt it (see {@link QueueObserver#availIndexRead}). */
    public record AvailMove(int queue, int previous, int current) {
    }

    /** Whether the device decided to notify the driver, and why. */
    public record Decision(int queue, boolean notifies, String reason) {
    }

    /** The driver's notification-suppression fields as read (see {@link QueueObserver#driverSuppressionRead}). */
    public record SuppressionRead(int queue, int flags, int event) {
    }

    private final List<Chain> chains = new ArrayList<>();
    private final List<Rejection> rejections = new ArrayList<>();
    private final List<Used> used = new ArrayList<>();
    private final List<Integer> published = new ArrayList<>();
    private final List<AvailMove> availMoves = new ArrayList<>();
    private final List<Decision> decisions = new ArrayList<>();
    private final List<SuppressionRead> suppressionReads = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private int kicks;

    /** Chains that passed validation, in the order the queue handed them out. */
    public synchronized List<Chain> chains() {
        return List.copyOf(chains);
    }

    /** Chains that broke a rule, in order. */
    public synchronized List<Rejection> rejections() {
        return List.copyOf(rejections);
    }

    public synchronized List<Used> used() {
        return List.copyOf(used);
    }

    /** Used positions published (split: {@code used.idx}; packed: off_wrap form), in order. */
    public synchronized List<Integer> published() {
        return List.copyOf(published);
    }

    public synchronized List<AvailMove> availMoves() {
        return List.copyOf(availMoves);
    }

    public synchronized List<Decision> decisions() {
        return List.copyOf(decisions);
    }

    public synchronized List<SuppressionRead> suppressionReads() {
        return List.copyOf(suppressionReads);
    }

    /** Available-buffer notifications (kicks) the queue was told of. */
    public synchronized int kicks() {
        return kicks;
    }

    /** Every call, in order, one line each: the method's name, the queue, then the values. */
    public synchronized List<String> events() {
        return List.copyOf(events);
    }

    @Override
    public synchronized void availIndexRead(int queue, int previous, int current) {
        availMoves.add(new AvailMove(queue, previous, current));
        events.add("availIndexRead " + queue + " " + previous + " -> " + current);
    }

    @Override
    public synchronized void chainRead(int queue, Chain chain) {
        chains.add(chain);
        events.add("chainRead " + queue + " id " + chain.id() + " readable " + chain.readableBytes()
                + " writable " + chain.writableBytes());
    }

    @Override
    public synchronized void chainRejected(int queue, ChainError error, Reaction reaction) {
        rejections.add(new Rejection(queue, error, reaction));
        events.add("chainRejected " + queue + " " + error.rule() + " " + reaction);
    }

    @Override
    public synchronized void usedWritten(int queue, int id, long length) {
        used.add(new Used(queue, id, length));
        events.add("usedWritten " + queue + " id " + id + " length " + length);
    }

    @Override
    public synchronized void usedPublished(int queue, int usedIndex) {
        published.add(usedIndex);
        events.add("usedPublished " + queue + " " + usedIndex);
    }

    @Override
    public synchronized void notificationDecided(int queue, boolean notify, String reason) {
        decisions.add(new Decision(queue, notify, reason));
        events.add("notificationDecided " + queue + " " + notify + " " + reason);
    }

    @Override
    public synchronized void kickReceived(int queue) {
        kicks++;
        events.add("kickReceived " + queue);
    }

    @Override
    public synchronized void driverSuppressionRead(int queue, int flags, int event) {
        suppressionReads.add(new SuppressionRead(queue, flags, event));
        events.add("driverSuppressionRead " + queue + " flags " + flags + " event " + event);
    }

    @Override
    public synchronized void splitRingAtStart(int queue, int usedFlags, int usedIdx, int availIdx) {
        events.add("splitRingAtStart " + queue + " used.flags " + usedFlags + " used.idx " + usedIdx + " avail.idx " + availIdx);
    }

    @Override
    public synchronized void packedRingAtStart(int queue, int strangeSlots, int firstStrange, int firstStrangeFlags) {
        events.add("packedRingAtStart " + queue + " strange " + strangeSlots + " first " + firstStrange
                + " flags " + firstStrangeFlags);
    }

    @Override
    public synchronized void unexpectedSlotFlags(int queue, int slot, boolean expectedWrap, int flags,
                                                 boolean firstLapAfterStart, boolean afterUsedWrite) {
        events.add("unexpectedSlotFlags " + queue + " slot " + slot + " wrap " + expectedWrap + " flags " + flags
                + " firstLap " + firstLapAfterStart + " afterUsed " + afterUsedWrite);
    }
}
