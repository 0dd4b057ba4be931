package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The worker side of the rings: what a {@link QueueWorkers} thread does with a ring it was woken for, under that
 * ring's lock. The control thread configures the same {@link Vring}s.
 */
final class RingProcessor {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final Vring[] rings;
    private final VirtioDevice device;
    private final Supplier<GuestMemory> memory;
    private final Runnable onBreak;

    /** {@code onBreak} runs, under the ring's lock, once for each break a ring reports. */
    RingProcessor(Vring[] rings, VirtioDevice device, Supplier<GuestMemory> memory, Runnable onBreak) {
        this.rings = rings;
        this.device = device;
        this.memory = memory;
        this.onBreak = onBreak;
    }

    /**
     * Chains one turn of a worker serves at most. A front-end can keep a ring busy forever (or a disk be saturated);
     * a bounded turn lets the worker's other rings and the control thread, which waits for the ring's lock, in.
     * 64 cost a fifth of the benchmark's IOPS at queue depth 32 (the turn ended while the driver was still
     * refilling); 1024 costs nothing measurable and still bounds a turn to milliseconds.
     */
    static final int TURN = 1024;

    /**
     * For a device that {@linkplain VirtioDevice#submitsWithoutBlocking() never blocks in submit}, completions are
     * published (the used index written, the driver signalled if it asked) after every this many requests and when
     * the ring runs empty: a driver waiting on a deep queue gets a share back to refill while the rest is served, and
     * the signal, a system call that wakes the driver's thread, is paid once per share instead of once per request. A
     * completion waits for at most seven others' microseconds. Measured with {@code bench blk}, null backing, one
     * queue at depth 32, against publishing each completion (3 alternating runs of each): 4 made no clear difference,
     * 8 gave about 1.3 times the IOPS, 16 a little less with a lower p99, 32 less again. Other devices publish each
     * completion before they get the next request.
     */
    static final int PUBLISH_EVERY = 8;

    /** How a turn ended. */
    enum Turn {
        /** The ring is empty and will notify again: the worker may sleep. */
        RESTED,
        /** The turn's bound was reached with requests possibly waiting: come back after the worker's other rings. */
        MORE,
        /**
         * The ring is empty but its notifications are still off: the worker polls it ({@link #hasWork}) and must
         * {@link #rest} it before it sleeps.
         */
        UNNOTIFIED
    }

    /**
     * Drains the kick and processes the ring, one turn: until it is empty or {@link #TURN} chains were served,
     * publishing completions (see {@link #PUBLISH_EVERY}) and signalling the call eventfd when the driver asked for it. While it serves, the
     * driver is told not to notify (each notification costs it a system call and the worker a wake-up). At the end
     * notifications are asked for again, unless {@code polling}: then the worker means to poll the ring a while
     * first, and the ring stays {@link Turn#UNNOTIFIED}. {@code kicked}: the worker's epoll saw the kick eventfd
     * readable, so it is drained (a system call a polled turn does without; a kick left unread wakes epoll later).
     */
    Turn process(int index, boolean polling, boolean kicked) {
        Vring ring = rings[index];
        ring.lock.lock();
        try {
            return serve(index, ring, polling, kicked);
        } catch (InternalError e) {
            if (!MemoryFault.is(e)) throw e;
            stopOnFault(index, ring, e);
            return Turn.RESTED;
        } finally {
            ring.lock.unlock();
        }
    }

    /**
     * True when ring {@code index} has a chain waiting (or completions made elsewhere to publish): what a polling
     * worker asks instead of sleeping. Reads the ring only; reports nothing.
     */
    boolean hasWork(int index) {
        Vring ring = rings[index];
        ring.lock.lock();
        try {
            DeviceQueue q = ring.queue;
            if (q == null || q == ring.faulted || !ring.enabled) return false;
            return q.hasAvailable();
        } catch (InternalError e) {
            if (!MemoryFault.is(e)) throw e;
            stopOnFault(index, ring, e);
            return false;
        } finally {
            ring.lock.unlock();
        }
    }

    /**
     * Asks the driver of an {@link Turn#UNNOTIFIED} ring for notifications again, before its worker sleeps; true
     * when chains arrived meanwhile (then the ring needs another turn, or they would wait for a kick that never
     * comes).
     */
    boolean rest(int index) {
        Vring ring = rings[index];
        ring.lock.lock();
        try {
            DeviceQueue q = ring.queue;
            // The queue may have been rebuilt since (a memory map change builds a new one on the same ring, its
            // notifications still off in guest memory): ask on whatever queue the ring has now.
            if (q == null || ring.unnotified == null) return false;
            ring.unnotified = null;
            // A ring disabled meanwhile is not written to [BE-VU-014]: enabling it again pokes its worker, whose turn
            // asks for notifications then.
            if (q == ring.faulted || q.isBroken() || !ring.enabled) return false;
            return q.enableNotifications();
        } catch (InternalError e) {
            if (!MemoryFault.is(e)) throw e;
            stopOnFault(index, ring, e);
            return false;
        } finally {
            ring.lock.unlock();
        }
    }

    /**
     * Runs a device's own callback (an fd it watches, a timer) on the ring's worker, holding the ring, then publishes
     * what it completed. The ring may have stopped meanwhile: the callback still runs (the device learns of its
     * cancelled requests), but nothing is published on a ring without a queue.
     */
    void runForDevice(int index, Runnable callback) {
        Vring ring = rings[index];
        ring.lock.lock();
        try {
            callback.run();
            DeviceQueue q = ring.queue;
            if (q != null && q != ring.faulted && ring.pending.applyCompleted(q)) ring.publish();
        } finally {
            ring.lock.unlock();
        }
    }

    /**
     * A memory fault mid-turn: the ring's memory (or the dirty log, or the inflight area) is no longer all there, so
     * the ring is stopped as a broken one is — one log line, the error eventfd, NEEDS_RESET — and not served again.
     * Only possible when unsealed files are accepted at risk ({@link UnsealedFiles#ACCEPT_AT_RISK}), and then only
     * best effort: HotSpot may deliver the fault after this catch.
     */
    private void stopOnFault(int index, Vring ring, InternalError e) {
        if (ring.queue == null || ring.faulted == ring.queue) return;
        ring.faulted = ring.queue;
        LOG.warn("queue {} stopped: {}", index, MemoryFault.describe(e));
        if (ring.err != null) ring.err.signal();
        onBreak.run();
    }

    private Turn serve(int index, Vring ring, boolean polling, boolean kickReady) {
        boolean kicked = kickReady && ring.kick != null && ring.kick.drain() > 0;
        DeviceQueue q = ring.queue;
        if (q == null || q == ring.faulted) return Turn.RESTED;
        if (kicked) q.kickReceived();
        // Completions the device made off this thread since the last turn: published as one batch.
        if (ring.pending.applyCompleted(q)) ring.publish();
        if (!ring.enabled) {
            // Started but disabled: no side effects [BE-VU-014]. By default nothing is taken, so no request is
            // lost or answered empty (and a restarted back-end, whose kick QEMU sets before it enables the
            // ring, resubmits nothing too early); a device may ask to have such requests discarded instead
            // (net: TX dropped).
            return device.discardsWhileDisabled() && discard(q, ring) ? Turn.MORE : Turn.RESTED;
        }
        if (ring.unnotified != q) {
            q.disableNotifications();
            ring.unnotified = q;
        }
        GuestMemory mem = memory.get();
        int served = 0;
        int publishEvery = device.submitsWithoutBlocking() ? PUBLISH_EVERY : 1;
        boolean more = false;
        try {
            while (true) {
                Chain c;
                while (!more && (c = q.poll()) != null) {
                    Request r = ring.pending.open(q, c, mem);
                    try {
                        device.submit(r);
                    } catch (RuntimeException e) {
                        LOG.error("queue {}: device failed on chain {}: {}", index, c.id(), e.toString());
                        if (ring.pending.isOpen(r)) r.complete(0);
                    }
                    if (++served % publishEvery == 0) publish(ring, q);
                    more = served == TURN;
                }
                publish(ring, q); // the end of a batch: the ring ran empty (or the turn is over)
                if (more || q.isBroken() || polling) break;
                ring.unnotified = null;
                if (!q.enableNotifications()) break;
                q.disableNotifications(); // chains arrived meanwhile: serve them unnotified, as the rest of the turn
                ring.unnotified = q;
            }
        } catch (RuntimeException e) {
            // What the turn completed reaches the driver even so: a driver with all its requests in flight would
            // otherwise wait for them forever (the worker rests the ring and sleeps).
            publish(ring, q);
            throw e;
        }
        if (q.isBroken() && ring.reportedBroken != q) {
            // Once per break: the log line, the error eventfd (SET_VRING_ERR; QEMU reports it), NEEDS_RESET.
            ring.reportedBroken = q;
            LOG.warn("queue {} stopped: {}", index, q.brokenBy());
            if (ring.err != null) ring.err.signal();
            onBreak.run();
        }
        if (more && !q.isBroken()) return Turn.MORE;
        return ring.unnotified == q && !q.isBroken() ? Turn.UNNOTIFIED : Turn.RESTED;
    }

    /** Makes what the device completed visible, and signals the driver when it asked for it. */
    private static void publish(Vring ring, DeviceQueue q) {
        if (ring.pending.applyCompleted(q)) ring.publish();
    }

    /** Takes and returns available requests with nothing written, one turn; true when more may be waiting. */
    private static boolean discard(DeviceQueue q, Vring ring) {
        int n = 0;
        Chain c;
        while (n < TURN && (c = q.poll()) != null) {
            q.complete(c, 0);
            n++;
        }
        if (q.publish() && ring.call != null) ring.call.signal();
        return n == TURN;
    }
}
