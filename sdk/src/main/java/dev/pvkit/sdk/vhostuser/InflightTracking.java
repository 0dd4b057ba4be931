package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * A session's inflight I/O tracking: the {@link InflightArea} that GET/SET_INFLIGHT_FD hand between back-end
 * incarnations, and the record each starting queue keeps in it. Used by the control thread only — but the started
 * queues' workers write into the area, so it is replaced only while no ring is started (QEMU sets it before it
 * starts the rings): replacing it under them would unmap the memory they record into.
 */
final class InflightTracking implements AutoCloseable {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private final int queueCount;
    private final VirtioDevice device;
    private final ShrinkSeals seals;
    private InflightArea area;

    InflightTracking(int queueCount, VirtioDevice device, ShrinkSeals seals) {
        this.queueCount = queueCount;
        this.seals = seals;
        this.device = device;
    }

    /** A fresh area as GET_INFLIGHT_FD hands it out: its description, and the descriptor the front-end gets. */
    record HandedOut(Bodies.Inflight body, int fd) {
    }

    /**
     * GET_INFLIGHT_FD: a fresh area for {@code num_queues} queues of {@code queue_size}, to hand to the front-end;
     * refused while {@code ringsRunning}. The caller sends the descriptor and then closes it: ours is the mapping.
     */
    HandedOut handOut(Bodies.Inflight req, boolean ringsRunning) {
        checkShape(FrontendRequest.GET_INFLIGHT_FD, req);
        checkStopped(FrontendRequest.GET_INFLIGHT_FD, ringsRunning);
        long size = InflightArea.bytes(req.numQueues(), req.queueSize());
        int fd = Syscalls.memfdCreate("pvkit-inflight", size);
        try {
            // The front-end gets this file too: sealed, it cannot shrink it under the workers that record into it.
            Syscalls.addSeals(fd, Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW);
            InflightArea fresh = new InflightArea(MappedMemory.shared(fd, 0, size), req.numQueues(), req.queueSize());
            fresh.initialise();
            replace(fresh);
            return new HandedOut(new Bodies.Inflight(size, 0, req.numQueues(), req.queueSize()), fd);
        } catch (RuntimeException | Error e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * SET_INFLIGHT_FD: the area a previous back-end filled (or a fresh one), after checking its arithmetic; refused
     * while {@code ringsRunning}.
     */
    void adopt(Bodies.Inflight req, Message m, boolean ringsRunning) {
        checkShape(FrontendRequest.SET_INFLIGHT_FD, req);
        checkStopped(FrontendRequest.SET_INFLIGHT_FD, ringsRunning);
        int fd = m.takeFd(0);
        try {
            long size = req.mmapSize();
            if (size < InflightArea.bytes(req.numQueues(), req.queueSize())) {
                throw violation(FrontendRequest.SET_INFLIGHT_FD, VhostUserRule.INFLIGHT_ARITHMETIC, String.format("size %s for %d queues of %d",
                        Long.toUnsignedString(size), req.numQueues(), req.queueSize()));
            }
            MappedMemory mapped = SharedFile.map(FrontendRequest.SET_INFLIGHT_FD, SharedFile.Kind.INFLIGHT, fd, req.mmapOffset(), size, seals);
            replace(new InflightArea(mapped, req.numQueues(), req.queueSize()));
        } finally {
            Syscalls.closeQuietly(fd);
        }
    }

    /**
     * Lets a just-built queue record what it takes, when there is an area; a fresh start ({@code recover}) first
     * resubmits what a previous back-end left in flight.
     */
    void attach(int index, DeviceQueue queue, int size, boolean packed, boolean recover) {
        if (area == null) return;
        boolean tracked;
        if (packed) {
            var tracker = area.packedTracker(index, size);
            tracked = tracker != null;
            if (tracked) ((PackedDeviceQueue) queue).trackInflight(tracker, recover);
        } else {
            var tracker = area.tracker(index, size);
            tracked = tracker != null;
            if (tracked) ((SplitDeviceQueue) queue).trackInflight(tracker, recover);
        }
        if (!tracked) {
            LOG.warn("queue {}: inflight tracking not available (the area does not cover this queue); a crash may lose its requests",
                    index);
        }
    }

    private void checkShape(FrontendRequest r, Bodies.Inflight req) {
        if (req.numQueues() < 1 || req.numQueues() > queueCount || req.queueSize() < 1
                || req.queueSize() > Math.min(device.maxQueueSize(), QueueConfig.MAX_SIZE)) {
            throw violation(r, VhostUserRule.INFLIGHT_SHAPE, req.numQueues() + " queues of " + req.queueSize() + " entries");
        }
    }

    private static void checkStopped(FrontendRequest r, boolean ringsRunning) {
        if (ringsRunning) {
            throw violation(r, VhostUserRule.RINGS_RUNNING, "the inflight area cannot change while rings are started (stop them with GET_VRING_BASE first)");
        }
    }

    private void replace(InflightArea fresh) {
        if (area != null) area.close();
        area = fresh;
    }

    @Override
    public void close() {
        if (area != null) area.close();
    }
}
