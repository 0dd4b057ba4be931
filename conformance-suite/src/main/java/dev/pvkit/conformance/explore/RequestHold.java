package dev.pvkit.conformance.explore;

import dev.pvkit.sdk.device.DeviceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Requests a device holds per queue and gives back as generated serving terms say: until a batch fills or its hold
 * time passes, then together or one per notification, in order, reversed or shuffled, with spurious notifications
 * while they wait if asked. What "giving back" does (serve the request, then complete it) is the device's: a request
 * is served only when it is given back, so one given back first really is done first. Every choice here is one the
 * spec leaves to a device.
 *
 * <p>Each queue's state is touched on that queue's worker ({@link #hold} and the timers it schedules run there) and
 * by a reset on the control thread, so each queue's is guarded by its own monitor.
 *
 * @param <T> what is held: a request, with whatever the device needs to serve it later
 */
public final class RequestHold<T> {
    private static final Logger LOG = LoggerFactory.getLogger(RequestHold.class);

    /** How many spurious notifications come while requests are held, and how far apart (see {@link Terms#spurious}). */
    static final int SPURIOUS_PER_HOLD = 4;
    static final Duration SPURIOUS_GAP = Duration.ofNanos(200_000);
    /** How far apart requests given back one at a time are. */
    static final Duration ONE_AT_A_TIME_GAP = Duration.ofNanos(30_000);

    /** The serving choices a hold follows; read afresh for every request, so a device may switch them between tries. */
    public interface Terms {
        /** The order in which held requests are given back. */
        Completions completions();

        /** Requests held before they are given back together (1: each at once). */
        int batch();

        /** The longest a request is held waiting for its batch. */
        int delayMicros();

        /** Give a batch back one request per notification, in order, rather than all in one. */
        boolean oneAtATime();

        /** While requests are held, also send notifications with nothing new; the hold lasts until they are sent. */
        boolean spurious();

        /** What a shuffle draws from. */
        long seed();
    }

    private final Held<T>[] held;
    private final Supplier<? extends Terms> terms;
    private final Consumer<T> giveBack;
    private volatile DeviceContext context;

    /** What one queue holds, and the timers that give it back. */
    private static final class Held<T> {
        final List<T> requests = new ArrayList<>();
        /** Given back one at a time, oldest first. */
        final ArrayDeque<T> trickle = new ArrayDeque<>();
        DeviceContext.Registration trickleTimer;
        DeviceContext.Registration timer;
        long releases;
    }

    /**
     * Holds for {@code queues} queues as {@code terms} says at the time; {@code giveBack} serves and completes one
     * held item (on its queue's worker, holding the queue's monitor).
     */
    @SuppressWarnings("unchecked")
    public RequestHold(int queues, Supplier<? extends Terms> terms, Consumer<T> giveBack) {
        this.held = new Held[queues];
        for (int i = 0; i < queues; i++) held[i] = new Held<>();
        this.terms = terms;
        this.giveBack = giveBack;
    }

    /** The device's event loop, for the timers; until it is attached every request is given back at once. */
    public void attach(DeviceContext c) {
        context = c;
    }

    /** Takes {@code t} on {@code queue}: gives it (and its batch) back now, or when the batch fills or its time is up. */
    public void hold(int queue, T t) {
        Held<T> h = held[queue];
        synchronized (h) {
            h.requests.add(t);
            DeviceContext ctx = context;
            Terms b = terms.get();
            if (h.requests.size() >= b.batch() || b.delayMicros() == 0 || ctx == null) {
                release(queue);  // a full batch, nothing to wait for, or no event loop to wait on
            } else if (h.timer == null) {
                Duration hold = Duration.ofNanos(b.delayMicros() * 1000L);
                // Spurious notifications come while requests are held, when the driver is surely waiting for them: each
                // then wakes it to find nothing new, rather than merging into a completion's notification. The hold
                // lasts until all of them are sent (holding longer is the device's right), so a driver that cannot take
                // them meets them the same way every time.
                if (b.spurious()) {
                    Duration needed = SPURIOUS_GAP.multipliedBy(SPURIOUS_PER_HOLD + 1);
                    if (hold.compareTo(needed) < 0) hold = needed;
                    for (int i = 1; i <= SPURIOUS_PER_HOLD; i++) spuriousAt(queue, ctx, SPURIOUS_GAP.multipliedBy(i));
                }
                h.timer = ctx.schedule(queue, hold, () -> {
                    synchronized (h) {
                        h.timer = null;
                        release(queue);
                    }
                });
            }
        }
    }

    /** Gives back everything {@code queue} holds, in the terms' order. Holding the queue's monitor, on its worker. */
    private void release(int queue) {
        Held<T> h = held[queue];
        if (h.timer != null) {
            h.timer.close();
            h.timer = null;
        }
        if (h.requests.isEmpty()) return;
        List<T> out = new ArrayList<>(h.requests);
        h.requests.clear();
        Terms b = terms.get();
        switch (b.completions()) {
            case REVERSED -> Collections.reverse(out);
            case SHUFFLED -> Collections.shuffle(out, new Random(b.seed() * 31 + h.releases));
            case IN_ORDER -> {
            }
        }
        h.releases++;
        DeviceContext ctx = context;
        if (b.oneAtATime() && ctx != null) {
            // Each in a turn of its own, so each is published (and notified) before the next is even served; behind
            // whatever an earlier batch still has to give back, so the order holds across batches too.
            h.trickle.addAll(out);
            if (h.trickleTimer == null) trickle(queue, h, ctx);
        } else {
            for (T t : h.trickle) giveBack.accept(t);  // the terms switched meanwhile: nothing waits behind it
            h.trickle.clear();
            for (T t : out) giveBack.accept(t);
        }
    }

    /** Gives back the oldest item waiting to trickle out, and schedules the next. Holding the queue's monitor. */
    private void trickle(int queue, Held<T> h, DeviceContext ctx) {
        T t = h.trickle.poll();
        if (t != null) giveBack.accept(t);
        h.trickleTimer = h.trickle.isEmpty() ? null : ctx.schedule(queue, ONE_AT_A_TIME_GAP, () -> {
            synchronized (h) {
                trickle(queue, h, ctx);
            }
        });
    }

    private void spuriousAt(int queue, DeviceContext ctx, Duration after) {
        ctx.schedule(queue, after, () -> {
            ctx.notifySpuriously(queue);
        });
    }

    /** Stops every timer and forgets what is held: the SDK cancels held requests with their rings at a reset. */
    public void reset() {
        for (Held<T> h : held) {
            synchronized (h) {
                if (h.timer != null) h.timer.close();
                if (h.trickleTimer != null) h.trickleTimer.close();
                h.timer = null;
                h.trickleTimer = null;
                h.trickle.clear();
                if (!h.requests.isEmpty()) LOG.debug("reset with {} requests held", h.requests.size());
                h.requests.clear();
            }
        }
    }
}
