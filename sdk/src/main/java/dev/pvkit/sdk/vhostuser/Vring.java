package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.PendingRequests;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtqueue.DeviceQueue;

import java.util.concurrent.locks.ReentrantLock;

/**
 * One ring's vhost-user state: what the front-end configured, the eventfds, and — once started — the device
 * queue. The control thread changes it and the worker processes it, both under {@link #lock}.
 *
 * <p>Two independent state bits (PVKit spec §10.5): started/stopped (a kick fd set / GET_VRING_BASE) and
 * enabled/disabled (SET_VRING_ENABLE). A started but disabled ring is not touched until it is enabled.
 */
final class Vring {
    final int index;
    /**
     * Fair: a worker's turns on a busy ring follow each other closely, and an unfair lock could let it take the ring
     * again before the control thread, waiting to reconfigure it, ever got it.
     */
    final ReentrantLock lock = new ReentrantLock(true);

    int size;
    Bodies.VringAddress address;
    long base;
    boolean enabled;
    boolean polled;          // kick set with the no-fd flag: the worker polls instead of waiting
    EventFd kick;
    EventFd call;
    EventFd err;
    /** Non-null while started. */
    DeviceQueue queue;
    /** The queue whose break was last reported (logged, ERR signalled), so each break is reported once. */
    DeviceQueue reportedBroken;
    /**
     * The queue whose notifications the worker turned off while it serves or polls it; null once they are asked for
     * again. A worker must never sleep on a ring left unnotified: the driver would not kick it.
     */
    DeviceQueue unnotified;
    /** The queue a memory fault stopped ({@link MemoryFault}): not processed again; a restart builds a new one. */
    DeviceQueue faulted;

    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Session.class);

    private static void log(boolean error, String line) {
        if (error) LOG.error(line);
        else LOG.warn(line);
    }

    /** The requests the device holds from this ring. */
    final PendingRequests pending;

    /** The device holds this ring's requests until data arrives for them ({@link dev.pvkit.sdk.device.VirtioDevice#holdsRequests}). */
    final boolean holdsRequests;

    /** {@code wakeWorker} asks the ring's worker for a turn (a device completed a request from another thread). */
    Vring(int index, Runnable wakeWorker, boolean holdsRequests) {
        this.index = index;
        this.holdsRequests = holdsRequests;
        this.pending = new PendingRequests(index, lock::isHeldByCurrentThread, wakeWorker, Vring::log, "its ring stopped");
    }

    /**
     * Before the ring stops or its memory changes: waits (at most {@code timeoutNanos}) for the requests the device
     * holds, publishes what they completed, and cancels the rest. Under the ring's lock.
     */
    void settle(long timeoutNanos, String why) {
        if (queue == null) return;
        DeviceQueue current = queue == faulted ? null : queue; // a faulted ring's memory is not touched again
        if (holdsRequests) pending.quiesce(current, 0, why, false);
        else pending.quiesce(current, timeoutNanos, why);
        if (current != null) publish();
    }

    /** Makes applied completions visible and signals the driver when it asked for it. */
    void publish() {
        if (queue.publish() && call != null) call.signal();
        pending.published();
    }

    /** A notification with nothing new published, when the driver asks for them unconditionally; false otherwise. */
    boolean notifySpuriously() {
        lock.lock();
        try {
            if (queue == null || !enabled || call == null || queue == faulted || queue.isBroken()) return false;
            if (!queue.notificationsWanted()) return false;
            call.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    boolean started() {
        return queue != null;
    }

    /** Started but stopped by a broken chain or a memory fault: the device needs a reset. */
    boolean broken() {
        return queue != null && (queue.isBroken() || queue == faulted);
    }

    /** Back to the initial state: stopped, disabled, nothing configured; closes the eventfds. */
    void reset() {
        queue = null;
        reportedBroken = null;
        faulted = null;
        size = 0;
        address = null;
        base = 0;
        enabled = false;
        polled = false;
        closeKick();
        call = closed(call);
        err = closed(err);
    }

    void closeKick() {
        kick = closed(kick);
    }

    private static EventFd closed(EventFd fd) {
        if (fd != null) fd.close();
        return null;
    }
}
