package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The requests one ring has handed to its device and not yet given back. A completion made on the ring's worker
 * while it serves the ring (the synchronous case) goes straight into the queue; one made anywhere else waits in a
 * lock-free list and wakes the worker, which applies all that arrived in one batch. Every method but
 * {@link Handle#complete} runs under the ring's lock.
 */
final class PendingRequests {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private static final long PAUSE_NANOS = 200_000;

    private final int queue;
    private final ReentrantLock lock;
    private final Runnable wakeWorker;
    /** Handed out and neither completed nor cancelled. Identity-keyed: no allocation per entry. */
    private final Set<Handle> open = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Completed off the worker's turn, waiting to be applied. */
    private final ConcurrentLinkedQueue<Handle> completed = new ConcurrentLinkedQueue<>();
    /** Set when completions went into the queue since the last publish. */
    private boolean unpublished;

    /** {@code wakeWorker} asks the ring's worker for a turn; {@code lock} is the ring's. */
    PendingRequests(int queue, ReentrantLock lock, Runnable wakeWorker) {
        this.queue = queue;
        this.lock = lock;
        this.wakeWorker = wakeWorker;
    }

    /** A handle for {@code chain}, just taken from {@code owner}: the device now holds it. */
    Request open(DeviceQueue owner, Chain chain, GuestMemory memory) {
        Handle h = new Handle(this, owner, chain, memory);
        open.add(h);
        return h;
    }

    /** True while {@code r} (a handle of this ring) is neither completed nor cancelled. */
    boolean isOpen(Request r) {
        return r instanceof Handle h && h.isOpen();
    }

    /** How many requests the device holds. */
    int outstanding() {
        return open.size();
    }

    /**
     * Applies every completion that arrived off the worker's turn to {@code current} (those of an earlier queue of
     * the ring were cancelled with it, so none is left). True when any completion is waiting to be published.
     */
    boolean applyCompleted(DeviceQueue current) {
        Handle h;
        while ((h = completed.poll()) != null) apply(h, current);
        return unpublished;
    }

    /** Publishing happened: the next completion starts a new batch. */
    void published() {
        unpublished = false;
    }

    /**
     * The ring is stopping: waits up to {@code timeoutNanos} for the device to complete what it holds, applying
     * completions to {@code current} as they come, then cancels the rest (their buffers may be unmapped next) and
     * says how many in one log line. Runs under the ring's lock; completions from other threads need none.
     */
    void quiesce(DeviceQueue current, long timeoutNanos, String why) {
        long deadline = System.nanoTime() + timeoutNanos;
        applyCompleted(current);
        while (!open.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(PAUSE_NANOS); // neither spins a core nor sleeps long
            applyCompleted(current);
        }
        if (open.isEmpty()) return;
        int cancelled = 0;
        for (Handle h : open) {
            if (h.cancel()) cancelled++;
        }
        open.clear();
        completed.clear(); // completed in the race with cancel: the queue they belong to is going away
        LOG.warn("queue {}: {} request(s) the device did not complete within {} ms of the ring stopping ({}) are"
                + " cancelled and never reach the driver", queue, cancelled, TimeUnit.NANOSECONDS.toMillis(timeoutNanos), why);
    }

    private void apply(Handle h, DeviceQueue current) {
        if (!open.remove(h)) return;
        if (h.owner != current) return; // the ring restarted meanwhile; quiesce cancels before that, so this is rare
        current.complete(h.chain, Math.min(Math.max(h.written, 0), h.chain.writableBytes()));
        unpublished = true;
    }

    /** A completion from the device: applied now on the ring's worker during its turn, queued otherwise. */
    private void completedBy(Handle h) {
        if (lock.isHeldByCurrentThread()) {
            apply(h, h.owner);
        } else {
            completed.add(h);
            wakeWorker.run();
        }
    }

    /** One request as the device sees it. */
    static final class Handle implements Request {
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
                    LOG.warn("queue {}: chain {} completed after its ring stopped; dropped (the device must not touch a"
                            + " cancelled request)", ring.queue, chain.id());
                } else {
                    LOG.error("queue {}: chain {} completed twice; the second completion is ignored", ring.queue, chain.id());
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
