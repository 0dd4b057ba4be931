package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.DeviceContext;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A device's own events on the rings' workers ({@link DeviceContext#watch}, {@link DeviceContext#schedule}): each
 * callback runs on its queue's worker holding that ring, as the ring's own turn does, so the device's per-queue state
 * needs no locking and what the callback completes is published at once. Timers fire on one thread of their own,
 * started on first use, and hand their task to the worker. Belongs to {@link Rings}, which closes it before it stops
 * the workers.
 */
final class DeviceEvents implements AutoCloseable {
    private final QueueWorkers workers;
    private final RingProcessor processor;
    private final int queues;
    /** Guarded by this; null until a device first asks for a timer. */
    private ScheduledThreadPoolExecutor timers;

    DeviceEvents(QueueWorkers workers, RingProcessor processor, int queues) {
        this.workers = workers;
        this.processor = processor;
        this.queues = queues;
    }

    /** {@link DeviceContext#watch}: the callback runs on the queue's worker, holding the ring. */
    DeviceContext.Registration watch(int queue, int fd, Runnable onReadable) {
        checkQueue(queue);
        Runnable stop = workers.watchDeviceFd(queue, fd, () -> processor.runForDevice(queue, onReadable));
        return stop::run;
    }

    /** {@link DeviceContext#schedule}: fires on the timer thread, runs on the queue's worker. */
    synchronized DeviceContext.Registration schedule(int queue, Duration delay, Runnable task) {
        checkQueue(queue);
        if (timers == null) {
            timers = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "pvkit-device-timers");
                t.setDaemon(true);
                return t;
            });
            timers.setRemoveOnCancelPolicy(true); // a cancelled timer frees its slot at once
        }
        AtomicBoolean closed = new AtomicBoolean();
        ScheduledFuture<?> f = timers.schedule(
                () -> workers.runOn(queue, () -> {
                    if (!closed.get()) processor.runForDevice(queue, task);
                }), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        return () -> {
            closed.set(true);
            f.cancel(false);
        };
    }

    private void checkQueue(int queue) {
        if (queue < 0 || queue >= queues) {
            throw new IllegalArgumentException("queue " + queue + " does not exist (the device has " + queues + ")");
        }
    }

    /** No timer fires after this; the fd watches end with the workers. */
    @Override
    public synchronized void close() {
        if (timers != null) timers.shutdownNow();
    }
}
