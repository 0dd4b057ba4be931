package dev.pvkit.sdk.frontend;

import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One ring as a guest driver runs it over vhost-user: the driver model, the kick eventfd it signals and the call
 * eventfd the back-end signals. Not thread-safe.
 */
public final class FrontendQueue implements AutoCloseable {
    private final int index;
    private final int size;
    private final long descriptors;
    private final long driverArea;
    private final long deviceArea;
    private final DriverQueue driver;
    private final EventFd kick;
    private final EventFd call;
    private final Epoll callWait;
    /** Epoll's result array for {@link #awaitUsed}: one per queue, as a queue has one driver thread. */
    private final long[] ready = new long[1];
    private long kicks;

    FrontendQueue(int index, int size, long descriptors, long driverArea, long deviceArea, DriverQueue driver, EventFd kick,
                  EventFd call) {
        this.index = index;
        this.size = size;
        this.descriptors = descriptors;
        this.driverArea = driverArea;
        this.deviceArea = deviceArea;
        this.driver = driver;
        this.kick = kick;
        this.call = call;
        this.callWait = Epoll.create();
        callWait.add(call.fd(), index);
    }

    public int index() {
        return index;
    }

    public int size() {
        return size;
    }

    /** Guest-physical address of the ring part, for a driver that reads its rings itself. */
    public long descriptors() {
        return descriptors;
    }

    /** Guest-physical address of the ring part, for a driver that reads its rings itself. */
    public long driverArea() {
        return driverArea;
    }

    /** Guest-physical address of the ring part, for a driver that reads its rings itself. */
    public long deviceArea() {
        return deviceArea;
    }

    EventFd kickFd() {
        return kick;
    }

    EventFd callFd() {
        return call;
    }

    public DriverQueue driver() {
        return driver;
    }

    public int post(List<Segment> readable, List<Segment> writable, boolean indirect) {
        return driver.post(readable, writable, indirect);
    }

    /** Publishes what was posted and kicks the back-end when its suppression rules ask for it. */
    public boolean publishAndKick() {
        boolean need = driver.publish();
        if (need) {
            kick.signal();
            kicks++;
        }
        return need;
    }

    /** Signals the back-end whatever its suppression says (a driver that decides its kicks itself). */
    public void kick() {
        kick.signal();
        kicks++;
    }

    /** Available-buffer notifications sent so far. */
    public long kicks() {
        return kicks;
    }

    /**
     * Waits at most {@code timeout} for a used-buffer notification (the back-end signalling the call eventfd) and
     * consumes it; true when one came. Whatever the back-end signalled since the last look counts as one, as an
     * interrupt does. Nothing is reaped: the caller decides what a notification makes it look at.
     */
    public boolean awaitNotification(Duration timeout) {
        if (call.drain() > 0) return true;
        long[] ready = new long[1];
        callWait.wait(ready, (int) Math.max(0, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        return call.drain() > 0;
    }

    /**
     * Reaps used entries until {@code count} arrived, sleeping on the call eventfd between looks; throws
     * {@link FrontendException} when {@code timeout} passes first.
     */
    public List<DriverQueue.Used> awaitUsed(int count, Duration timeout) {
        List<DriverQueue.Used> out = new ArrayList<>();
        awaitUsed(count, timeout, (id, length) -> out.add(new DriverQueue.Used(id, length)));
        return out;
    }

    /**
     * {@link #awaitUsed(int, Duration)} without a list or an entry object per chain: each used entry goes to
     * {@code sink} as it is reaped; returns how many did (at least {@code count}). What a benchmark's driver calls,
     * so that its own garbage does not weigh on a back-end sharing its CPUs.
     */
    public int awaitUsed(int count, Duration timeout, DriverQueue.UsedSink sink) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int reaped = driver.reap(sink);
        while (reaped < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new FrontendException("queue " + index + ": " + reaped + " of " + count + " used buffers within " + timeout);
            }
            // A bounded sleep: the back-end may legitimately suppress a notification, so look again regardless.
            callWait.wait(ready, (int) Math.min(Math.max(1, left / 1_000_000), 50));
            call.drain();
            reaped += driver.reap(sink);
        }
        return reaped;
    }

    @Override
    public void close() {
        callWait.close();
        kick.close();
        call.close();
    }
}
