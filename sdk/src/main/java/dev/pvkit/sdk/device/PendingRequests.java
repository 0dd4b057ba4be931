package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.DeviceQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The requests one queue has handed to its device and not yet given back: what whoever serves a queue (the
 * vhost-user server's ring worker, the test kit's event loop, a later transport) uses to give a device
 * {@link Request}s. A completion made on the serving thread while it serves the queue (the synchronous case) goes
 * straight into the queue; one made anywhere else waits in a lock-free list and wakes the server, which applies all
 * that arrived in one batch. Every method but {@link Request#complete} and {@link #outstanding} runs on the serving
 * side (the server's thread, or under its lock).
 */
public final class PendingRequests {
    /** Where a refused completion or a cancellation is reported: one line, an error or a warning. */
    @FunctionalInterface
    public interface Problems {
        void report(boolean error, String line);
    }

    private static final long PAUSE_NANOS = 200_000;

    private final int queue;
    private final BooleanSupplier onServingSide;
    private final Runnable wakeServer;
    private final Problems problems;
    private final String ringStopped;
    /** Handed out and neither completed nor cancelled. Identity-keyed: no allocation per entry. */
    private final Set<Handle> open = Collections.newSetFromMap(new IdentityHashMap<>());
    /** {@code open}'s size, readable from any thread. */
    private final AtomicInteger outstanding = new AtomicInteger();
    /** Completed off the worker's turn, waiting to be applied. */
    private final ConcurrentLinkedQueue<Handle> completed = new ConcurrentLinkedQueue<>();
    /** Set when completions went into the queue since the last publish. */
    private boolean unpublished;

    /**
     * @param onServingSide true on the thread that serves the queue while it may apply completions at once
     * @param wakeServer    asks the server to apply completions made elsewhere soon
     * @param problems      where refused completions and cancellations are reported
     * @param ringStopped   how a late completion's report says the queue stopped, e.g. "its ring stopped"
     */
    public PendingRequests(int queue, BooleanSupplier onServingSide, Runnable wakeServer, Problems problems, String ringStopped) {
        this.queue = queue;
        this.onServingSide = onServingSide;
        this.wakeServer = wakeServer;
        this.problems = problems;
        this.ringStopped = ringStopped;
    }

    /** A handle for {@code chain}, just taken from {@code owner}: the device now holds it. */
    public Request open(DeviceQueue owner, Chain chain, GuestMemory memory) {
        Handle h = new Handle(this, owner, chain, memory);
        open.add(h);
        outstanding.incrementAndGet();
        return h;
    }

    /** True while {@code r} (a handle of this queue) is neither completed nor cancelled. */
    public boolean isOpen(Request r) {
        return r instanceof Handle h && h.isOpen();
    }

    /** How many requests the device holds; from any thread. */
    public int outstanding() {
        return outstanding.get();
    }

    /**
     * Applies every completion that arrived off the worker's turn to {@code current} (those of an earlier queue of
     * the ring were cancelled with it, so none is left). True when any completion is waiting to be published.
     */
    public boolean applyCompleted(DeviceQueue current) {
        Handle h;
        while ((h = completed.poll()) != null) apply(h, current);
        return unpublished;
    }

    /** Publishing happened: the next completion starts a new batch. */
    public void published() {
        unpublished = false;
    }

    /**
     * The ring is stopping: waits up to {@code timeoutNanos} for the device to complete what it holds, applying
     * completions to {@code current} as they come, then cancels the rest (their buffers may be unmapped next) and
     * says how many in one line. Runs on the serving side (under the ring's lock); completions from other threads
     * need none.
     */
    public void quiesce(DeviceQueue current, long timeoutNanos, String why) {
        quiesce(current, timeoutNanos, why, true);
    }

    /**
     * {@link #quiesce(DeviceQueue, long, String)}, saying nothing of what it cancels unless {@code report}: for a
     * queue whose device holds requests by design (receive buffers waiting for packets). Such requests are also given
     * back to the driver untaken ({@link DeviceQueue#giveBack}) when they are the last taken, so that the ring's
     * position, and the queue a restart builds from it, offers those buffers again instead of losing them.
     */
    public void quiesce(DeviceQueue current, long timeoutNanos, String why, boolean report) {
        long deadline = System.nanoTime() + timeoutNanos;
        applyCompleted(current);
        while (!open.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(PAUSE_NANOS); // neither spins a core nor sleeps long
            applyCompleted(current);
        }
        List<Chain> untouched = new ArrayList<>();
        int cancelled = cancelRemaining(current, untouched);
        if (!report) {
            if (current != null && !untouched.isEmpty()) current.giveBack(untouched);
            return;
        }
        if (cancelled == 0) return;
        problems.report(false, String.format("queue %d: %d request(s) the device did not complete within %d ms of the ring"
                + " stopping (%s) are cancelled and never reach the driver", queue, cancelled,
                TimeUnit.NANOSECONDS.toMillis(timeoutNanos), why));
    }

    /**
     * Applies what was completed to {@code current}, then cancels every request the device still holds (their
     * buffers may be unmapped next) and returns how many; the caller reports them. On the serving side.
     */
    public int cancelRemaining(DeviceQueue current) {
        return cancelRemaining(current, new ArrayList<>());
    }

    /** {@link #cancelRemaining(DeviceQueue)}, adding the chains of {@code current} it cancelled to {@code chains}. */
    private int cancelRemaining(DeviceQueue current, List<Chain> chains) {
        applyCompleted(current);
        int cancelled = 0;
        for (Handle h : open) {
            if (h.cancel()) {
                cancelled++;
                if (h.owner == current) chains.add(h.chain);
            }
        }
        open.clear();
        outstanding.set(0);
        completed.clear(); // completed in the race with cancel: the queue they belong to is going away
        return cancelled;
    }

    private void apply(Handle h, DeviceQueue current) {
        if (!open.remove(h)) return;
        outstanding.decrementAndGet();
        if (h.owner != current) return; // the ring restarted meanwhile; quiesce cancels before that, so this is rare
        current.complete(h.chain, Math.min(Math.max(h.written, 0), h.chain.writableBytes()));
        unpublished = true;
    }

    /** A completion from the device: applied now on the serving side, queued otherwise. */
    private void completedBy(Handle h) {
        if (onServingSide.getAsBoolean()) {
            apply(h, h.owner);
        } else {
            completed.add(h);
            wakeServer.run();
        }
    }

    /** One request as the device sees it. */
    private static final class Handle implements Request {
        private static final int OPEN = 0, DONE = 1, CANCELLED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Handle.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final PendingRequests ring;
        final DeviceQueue owner;
        final Chain chain;
        private final GuestMemory memory;
        @SuppressWarnings("unused") // through STATE
        private volatile int state;
        /** Written by the one completion that wins, before it hands the request to the worker. */
        private long written;

        Handle(PendingRequests ring, DeviceQueue owner, Chain chain, GuestMemory memory) {
            this.ring = ring;
            this.owner = owner;
            this.chain = chain;
            this.memory = memory;
        }

        @Override
        public int queue() {
            return ring.queue;
        }

        @Override
        public Chain chain() {
            return chain;
        }

        @Override
        public GuestMemory memory() {
            return memory;
        }

        @Override
        public boolean complete(long written) {
            if (!STATE.compareAndSet(this, OPEN, DONE)) {
                if ((int) STATE.getVolatile(this) == CANCELLED) {
                    ring.problems.report(false, String.format("queue %d: chain %d completed after %s; dropped (the device"
                            + " must not touch a cancelled request)", ring.queue, chain.id(), ring.ringStopped));
                } else {
                    ring.problems.report(true, String.format("queue %d: chain %d completed twice; the second completion is"
                            + " ignored", ring.queue, chain.id()));
                }
                return false;
            }
            this.written = written; // only the winner writes it; the queue hand-over (or this thread) publishes it
            ring.completedBy(this);
            return true;
        }

        @Override
        public boolean isCancelled() {
            return (int) STATE.getVolatile(this) == CANCELLED;
        }

        boolean isOpen() {
            return (int) STATE.getVolatile(this) == OPEN;
        }

        /** True when it was still open; a request completed meanwhile stays completed. */
        boolean cancel() {
            return STATE.compareAndSet(this, OPEN, CANCELLED);
        }

        @Override
        public String toString() {
            return "request on queue " + ring.queue + ", chain " + chain.id();
        }
    }
}
