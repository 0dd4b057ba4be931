package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.Epoll;
import dev.pvkit.sdk.os.EventFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The threads that process rings. Queue {@code i} belongs to worker {@code i % count}, always: one ring is never
 * processed by two threads, and a device's per-queue state needs no locking. Each worker sleeps in epoll on the
 * kick eventfds of its started rings (and polls rings whose kick was set without an fd, every millisecond). A ring
 * is processed one bounded turn at a time; one that may have more waiting gets its next turn after the worker's
 * other rings. Before it sleeps, a worker polls the rings it just served for a short, adaptive time
 * ({@link PollWindow}), their notifications still off, when the CPUs allow it ({@link PollGate}): a driver that
 * posts again soon needs no kick.
 */
final class QueueWorkers implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueWorkers.class);
    private static final long WAKE = -1;
    /** Epoll tokens from here up are a device's own descriptors (below are queue indices). */
    private static final long DEVICE_TOKENS = 1L << 40;

    private final java.util.concurrent.atomic.AtomicLong nextToken = new java.util.concurrent.atomic.AtomicLong(DEVICE_TOKENS);

    private final List<Worker> workers = new ArrayList<>();

    /** {@code processor} serves the rings; each worker polls idle rings for at most {@code maxPollNanos} (0: never). */
    QueueWorkers(int count, String name, RingProcessor processor, long maxPollNanos) {
        for (int i = 0; i < count; i++) workers.add(new Worker(name + "-worker-" + i, processor, new PollWindow(maxPollNanos)));
        workers.forEach(w -> w.thread.start());
    }

    int workerOf(int queue) {
        return queue % workers.size();
    }

    /** Starts watching {@code kick} for {@code queue}; null kick = polled. */
    void watch(int queue, EventFd kick) {
        Worker w = workers.get(workerOf(queue));
        if (kick == null) w.polled.addIfAbsent(queue);
        else w.epoll.add(kick.fd(), queue);
        w.ringStarted(queue);
        w.wake.signal();
    }

    void unwatch(int queue, EventFd kick) {
        Worker w = workers.get(workerOf(queue));
        w.ringStopped(queue);
        w.polled.remove((Integer) queue);
        if (kick != null) {
            try {
                w.epoll.remove(kick.fd());
            } catch (RuntimeException e) {
                LOG.debug("queue {}: kick fd was not watched: {}", queue, e.getMessage());
            }
        }
    }

    /** Asks {@code queue}'s worker to process it soon (after enabling, or when buffers may be waiting). */
    void poke(int queue) {
        Worker w = workers.get(workerOf(queue));
        w.pending.addIfAbsent(queue);
        w.wake.signal();
    }

    /**
     * Calls {@code onReadable} on {@code queue}'s worker whenever {@code fd} is readable; the returned action stops
     * it. What the callback throws is logged; the worker serves on.
     */
    Runnable watchDeviceFd(int queue, int fd, Runnable onReadable) {
        Worker w = workers.get(workerOf(queue));
        long token = nextToken.getAndIncrement();
        w.deviceFds.put(token, onReadable);
        w.epoll.add(fd, token);
        return () -> {
            if (w.deviceFds.remove(token) == null) return;
            try {
                w.epoll.remove(fd);
            } catch (RuntimeException e) {
                LOG.debug("queue {}: device fd {} was no longer watched: {}", queue, fd, e.getMessage());
            }
        };
    }

    /** Runs {@code task} on {@code queue}'s worker soon, after the ring turn it may be in. */
    void runOn(int queue, Runnable task) {
        Worker w = workers.get(workerOf(queue));
        w.tasks.add(task);
        w.wake.signal();
    }

    /**
     * Stops every worker and waits until each has finished its turn: only then may the rings' memory be unmapped.
     * A turn is bounded, so this is quick unless a device's {@code process} does not return.
     */
    @Override
    public void close() {
        workers.forEach(Worker::requestStop);
        workers.forEach(Worker::awaitStop);
    }

    private static final class Worker implements Runnable {
        final Thread thread;
        final Epoll epoll = Epoll.create();
        final EventFd wake = EventFd.create();
        final CopyOnWriteArrayList<Integer> polled = new CopyOnWriteArrayList<>();
        final CopyOnWriteArrayList<Integer> pending = new CopyOnWriteArrayList<>();
        /** A device's own descriptors this worker watches: epoll token to callback. */
        final java.util.concurrent.ConcurrentHashMap<Long, Runnable> deviceFds = new java.util.concurrent.ConcurrentHashMap<>();
        /** Work other threads hand this worker (a device's timers). */
        final java.util.concurrent.ConcurrentLinkedQueue<Runnable> tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final RingProcessor processor;
        final PollWindow window;
        /** The started rings this worker serves; while there is one, it counts as serving in {@link PollGate}. */
        private final java.util.Set<Integer> started = new java.util.HashSet<>();

        synchronized void ringStarted(int queue) {
            if (started.add(queue) && started.size() == 1) PollGate.serving();
        }

        synchronized void ringStopped(int queue) {
            if (started.remove(queue) && started.isEmpty()) PollGate.notServing();
        }

        /** The worker is gone: its rings no longer count. */
        synchronized void forgetRings() {
            if (!started.isEmpty()) PollGate.notServing();
            started.clear();
        }

        /** Rings this worker served whose notifications are still off: polled, then rested before it sleeps. */
        final List<Integer> unnotified = new ArrayList<>();
        volatile boolean running = true;

        Worker(String name, RingProcessor processor, PollWindow window) {
            this.processor = processor;
            this.window = window;
            this.thread = new Thread(this, name);
            this.thread.setDaemon(true);
            epoll.add(wake.fd(), WAKE);
        }

        @Override
        public void run() {
            long[] ready = new long[64];
            PollGate.awake();
            try {
                while (running) {
                    try {
                        serveOnce(ready);
                    } catch (RuntimeException e) {
                        eventLoopFailed(e.toString());
                    } catch (InternalError e) {
                        // Only with unsealed files accepted at risk (UnsealedFiles) can a memory fault reach here.
                        if (!MemoryFault.is(e)) throw e;
                        eventLoopFailed(MemoryFault.describe(e));
                    }
                }
            } catch (RuntimeException | Error e) {
                LOG.error("{} stopped by {}: its rings are no longer served", thread.getName(), e.toString(), e);
                throw e;
            } finally {
                PollGate.asleep();
            }
        }

        /**
         * When idle, a poll of the unnotified rings (see {@link #pollIdleRings}); then one wait in epoll, and a turn for
         * each ring that is ready, pending or polled.
         */
        private void serveOnce(long[] ready) {
            boolean idle = pending.isEmpty() && tasks.isEmpty() && polled.isEmpty();
            long idleSince = idle ? System.nanoTime() : 0;
            if (idle && !unnotified.isEmpty()) {
                if (pollIdleRings(idleSince)) {
                    window.idleEnded(System.nanoTime() - idleSince);
                    return;
                }
                idle = pending.isEmpty() && tasks.isEmpty();
            }
            int timeout = !idle || !pending.isEmpty() || !tasks.isEmpty() ? 0 : polled.isEmpty() ? -1 : 1;
            int n;
            if (timeout == 0) {
                n = epoll.wait(ready, 0);
            } else {
                PollGate.asleep();
                try {
                    n = epoll.wait(ready, timeout);
                } finally {
                    PollGate.awake();
                }
            }
            if (timeout == -1 && window.enabled()) window.idleEnded(System.nanoTime() - idleSince);
            for (int i = 0; i < n && running; i++) {
                if (ready[i] == WAKE) {
                    wake.drain();
                } else if (ready[i] >= DEVICE_TOKENS) {
                    Runnable callback = deviceFds.get(ready[i]);
                    if (callback != null) deviceWork(callback);
                } else {
                    turn((int) ready[i], true);
                }
            }
            Runnable task;
            while (running && (task = tasks.poll()) != null) deviceWork(task);
            for (Integer q : pending) {
                pending.remove(q);
                turn(q, false);
            }
            for (Integer q : polled) turn(q, false);
        }

        /**
         * Polls the unnotified rings until one has work or the window (from {@code idleSince}) passes; true when work
         * was found and served, or other work arrived. Otherwise each ring asks its driver for notifications again
         * (and one that got chains meanwhile goes to {@link #pending}), and the worker may sleep.
         */
        private boolean pollIdleRings(long idleSince) {
            long deadline = idleSince + window.nanos();
            while (running && pending.isEmpty() && tasks.isEmpty()) {
                boolean found = false;
                for (int i = 0; i < unnotified.size(); i++) {
                    int q = unnotified.get(i);
                    if (processor.hasWork(q)) {
                        found = true;
                        unnotified.remove(i--);
                        turn(q, false);
                    }
                }
                if (found) return true;
                if (System.nanoTime() - deadline >= 0 || !PollGate.mayPoll()) break;
                // Not a busy spin: when the CPUs are oversubscribed (the driver's own thread waiting for this core),
                // the driver runs; when they are not, yield returns at once.
                Thread.yield();
            }
            if (!running || !pending.isEmpty() || !tasks.isEmpty()) return true;
            for (Integer q : unnotified) {
                if (processor.rest(q)) pending.addIfAbsent(q);
            }
            unnotified.clear();
            return false;
        }

        /** A device's callback or timer: what it throws is the device's failure, not the worker's. */
        private void deviceWork(Runnable work) {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.warn("{}: a device callback failed: {}", thread.getName(), e.toString());
            }
        }

        /** The worker lives on for its rings; a pause keeps a failure that repeats from spinning. */
        private void eventLoopFailed(String what) {
            LOG.warn("{}: event loop failed ({}); serving on", thread.getName(), what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * One turn of {@code queue} ({@code kicked}: epoll said its kick fired); another later when it may have more,
         * and a poll before sleeping when it was left unnotified. What a turn throws (an eventfd the front-end gave
         * that cannot be read or written, say) ends the turn, not the worker: its other rings go on.
         */
        private void turn(int queue, boolean kicked) {
            try {
                // A ring is left unnotified only when the worker may poll it: otherwise it would be rested at once.
                switch (processor.process(queue, window.enabled() && PollGate.mayPoll(), kicked)) {
                    case MORE -> pending.addIfAbsent(queue);
                    case UNNOTIFIED -> {
                        if (!unnotified.contains(queue)) unnotified.add(queue);
                    }
                    case RESTED -> unnotified.remove((Integer) queue);
                }
            } catch (RuntimeException e) {
                LOG.warn("queue {}: turn ended by {}", queue, e.toString());
                restBeforeSleeping(queue);
            } catch (InternalError e) {
                // RingProcessor stops the ring on a memory fault; this catches one HotSpot delivers a little late,
                // past its catch: the worker must live on for its other rings.
                if (!MemoryFault.is(e)) throw e;
                LOG.warn("queue {}: turn ended by {}", queue, MemoryFault.describe(e));
                restBeforeSleeping(queue);
            }
        }

        /** A turn that failed may have left the ring's notifications off: it is rested (or polled) before a sleep. */
        private void restBeforeSleeping(int queue) {
            if (!unnotified.contains(queue)) unnotified.add(queue);
        }

        void requestStop() {
            running = false;
            wake.signal();
        }

        void awaitStop() {
            forgetRings();
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join(5000);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
                if (thread.isAlive()) {
                    LOG.warn("{} has not stopped after 5 s (a device's process() that does not return?); still waiting: "
                            + "its rings' memory stays mapped until it stops", thread.getName());
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
            epoll.close();
            wake.close();
        }
    }
}
