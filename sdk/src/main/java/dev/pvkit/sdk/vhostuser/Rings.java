package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.observe.QueueEventFd;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * A session's rings and the workers that serve them ({@link RingProcessor}): each ring's state, and its life —
 * started when its kick arrives (its device queue built on the current guest memory, with the negotiated features),
 * stopped by GET_VRING_BASE, moved to each new memory map, reset. What the set-up messages mean is
 * {@link RingSetup}'s; a device's own events on the workers are {@link DeviceEvents}'.
 */
final class Rings implements AutoCloseable {
    private final Vring[] rings;
    private final QueueWorkers workers;
    private final DeviceEvents events;
    private final BackendObserver observer;
    private final InflightTracking inflight;
    private final QueueBuilder builder;
    /** How long a stopping ring waits for the requests its device holds. */
    private final long drainNanos;

    private final VirtioDevice device;
    /** The features the rings run with; 0 until SET_FEATURES and after a reset. */
    private long features;
    /** The guest memory the started queues run on; replaced only while every ring is locked. */
    private volatile GuestMemory memory;

    /** {@code onBreak} runs, on a worker under the ring's lock, once for each break a ring reports. */
    Rings(int count, VirtioDevice device, BackendObserver observer, InflightTracking inflight, String name, Runnable onBreak,
          VhostUserBackend.Options options) {
        this.rings = new Vring[count];
        this.device = device;
        for (int i = 0; i < rings.length; i++) {
            int index = i;
            rings[i] = new Vring(i, () -> wake(index), device.holdsRequests(i)); // the workers exist by the time a device completes
        }
        this.drainNanos = options.requestDrain().toNanos();
        this.observer = observer;
        this.inflight = inflight;
        this.builder = new QueueBuilder(options.policy(), observer);
        RingProcessor processor = new RingProcessor(rings, device, () -> memory, onBreak);
        this.workers = new QueueWorkers(Math.min(options.workers(), Math.max(1, rings.length)), name, processor,
                options.pollMax().toNanos());
        this.events = new DeviceEvents(workers, processor, rings.length);
    }

    int count() {
        return rings.length;
    }

    /** Ring {@code index}, which the caller checked is below {@link #count()}. */
    Vring ring(int index) {
        return rings[index];
    }

    /** Where a device hooks its own fds and timers into the workers. */
    DeviceEvents deviceEvents() {
        return events;
    }

    /** Asks {@code queue}'s worker for a turn (enabled, or buffers may be waiting). */
    void wake(int queue) {
        workers.poke(queue);
    }

    void useFeatures(long negotiated) {
        features = negotiated;
    }

    boolean packed() {
        return VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
    }

    /** True when any ring is started (its queue built; the control thread alone starts and stops rings). */
    boolean anyStarted() {
        for (Vring ring : rings) {
            if (ring.started()) return true;
        }
        return false;
    }

    /** True when a started ring broke a rule and stopped. */
    boolean anyBroken() {
        for (Vring ring : rings) {
            if (ring.broken()) return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- one ring

    /**
     * SET_VRING_KICK's effect: {@code kick} (null: polled) replaces the ring's kick, and the ring starts if it was
     * stopped. A kick the ring did not take (it could not start) is closed.
     */
    void kick(Vring ring, EventFd kick) {
        try {
            locked(ring, () -> {
                workers.unwatch(ring.index, ring.kick);
                ring.closeKick();
                ring.kick = kick;
                ring.polled = kick == null;
                if (!ring.started()) start(FrontendRequest.SET_VRING_KICK, ring, true);
            });
        } catch (RuntimeException e) {
            if (kick != null && ring.kick != kick) kick.close();
            throw e;
        }
        observer.queueEventFdSet(ring.index, QueueEventFd.KICK, kick != null);
        workers.watch(ring.index, kick);
        workers.poke(ring.index);
    }

    /** GET_VRING_BASE's effect: stops the ring, after the requests its device holds settle, and returns where it stands. */
    long stop(Vring ring) {
        long base;
        ring.lock.lock();
        try {
            workers.unwatch(ring.index, ring.kick);
            if (ring.started()) {
                ring.settle(drainNanos, "GET_VRING_BASE");
                ring.base = ring.queue.base();
                ring.queue = null;
            }
            base = ring.base;
            ring.closeKick();
            ring.polled = false;
        } finally {
            ring.lock.unlock();
        }
        observer.queueStopped(ring.index, base);
        return base;
    }

    // ---------------------------------------------------------------- every ring

    /** Without protocol features there is no SET_VRING_ENABLE: every ring is enabled at once [BE-VU-019]. */
    void enableAll() {
        for (Vring ring : rings) locked(ring, () -> ring.enabled = true);
        for (Vring ring : rings) device.queueEnabled(ring.index, true);
    }

    /**
     * Every ring back to its initial state, and the features forgotten (RESET_OWNER, RESET_DEVICE). One ring at a
     * time: while one settles, a device callback on another ring's worker may still complete its requests.
     */
    void reset() {
        for (Vring ring : rings) {
            locked(ring, () -> {
                workers.unwatch(ring.index, ring.kick);
                ring.settle(drainNanos, "reset");
                ring.reset();
            });
        }
        features = 0;
    }

    /**
     * Moves the rings to a new memory map, with every ring locked by the caller ({@code cause}'s row in
     * {@link RequestTable} locks all rings), so no worker ever reads through a half-replaced map and the old mappings
     * {@code commit} unmaps are no longer in use. Every started ring's queue is built on the new map first; a map one
     * of them cannot run on (an area outside it, or misaligned there) is refused ({@code cause}'s violation) before
     * anything changes: the rings and the old map stay as they were, and no ring ever uses the map the caller then
     * unmaps.
     */
    void moveTo(FrontendRequest cause, GuestMemory fresh, Runnable commit) {
        requireAllLocked(cause);
        // Requests in flight point into the old map, which the commit may unmap: settle them on it first.
        for (Vring ring : rings) ring.settle(drainNanos, "memory map change");
        QueueBuilder.Built[] moved = new QueueBuilder.Built[rings.length];
        for (Vring ring : rings) {
            if (ring.started()) moved[ring.index] = builder.build(cause, ring, fresh, ring.queue.base(), features);
        }
        // Nothing below can refuse the map.
        memory = fresh;
        for (Vring ring : rings) {
            if (moved[ring.index] != null) {
                DeviceQueue previous = ring.queue;
                ring.base = previous.base();
                install(ring, moved[ring.index], false); // rebuilt on the new map; addresses were translated again
                takeResubmissions(previous, ring.queue);
            }
        }
        commit.run();
        for (QueueBuilder.Built b : moved) {
            if (b != null) announce(b); // after the commit: an observer that throws cannot undo it half way
        }
    }

    /** Recovered requests the old queue had not handed out yet go on in the rebuilt one. */
    private static void takeResubmissions(DeviceQueue previous, DeviceQueue rebuilt) {
        if (rebuilt instanceof SplitDeviceQueue split && previous instanceof SplitDeviceQueue old) split.takeResubmissions(old);
        if (rebuilt instanceof PackedDeviceQueue packed && previous instanceof PackedDeviceQueue old) packed.takeResubmissions(old);
    }

    /**
     * Locks every ring, in index order, so no worker runs while something they all use is replaced. A worker holds
     * one ring's lock at a time and takes no other while it does, so this order cannot deadlock with them.
     */
    void lockAll() {
        for (Vring ring : rings) ring.lock.lock();
    }

    void unlockAll() {
        for (Vring ring : rings) ring.lock.unlock();
    }

    /**
     * For a handler that replaces something every worker uses: fails unless this thread holds every ring's lock, as
     * the session does for the rows of {@link RequestTable} that lock all rings (DPDK checks its lock_all_qps the
     * same way). Without this, a row that lost its flag would race the workers silently.
     */
    void requireAllLocked(FrontendRequest r) {
        for (Vring ring : rings) {
            if (!ring.lock.isHeldByCurrentThread()) {
                throw new IllegalStateException(r + " replaces what every ring uses, but its RequestTable row does not lock all rings");
            }
        }
    }

    /** Stops the device's timers and the workers, then forgets the rings and the memory. */
    @Override
    public void close() {
        events.close();
        workers.close();
        for (Vring ring : rings) {
            locked(ring, () -> {
                ring.settle(drainNanos, "connection closed");
                ring.reset();
            });
        }
        memory = null;
    }

    // ---------------------------------------------------------------- starting a queue

    /**
     * Builds and installs the device queue for a configured ring; throws a violation when the set-up cannot be
     * served. With an inflight area, a fresh start ({@code recover}) first resubmits what a previous back-end left
     * in flight.
     */
    private void start(FrontendRequest cause, Vring ring, boolean recover) {
        GuestMemory mem = memory;
        if (mem == null) throw violation(cause, VhostUserRule.NO_MEMORY, "queue " + ring.index + " started before any memory table");
        QueueBuilder.Built b = builder.build(cause, ring, mem, ring.base, features);
        install(ring, b, recover);
        announce(b);
    }

    /** Makes the built queue the ring's, recording into the inflight area when there is one. */
    private void install(Vring ring, QueueBuilder.Built built, boolean recover) {
        ring.queue = built.queue();
        inflight.attach(ring.index, built.queue(), ring.size, packed(), recover);
    }

    private void announce(QueueBuilder.Built built) {
        int index = built.queue().index();
        observer.queueAddresses(index, built.at().descriptors(), built.at().driver(), built.at().device());
        observer.queueStarted(index);
    }

    static void locked(Vring ring, Runnable action) {
        ring.lock.lock();
        try {
            action.run();
        } finally {
            ring.lock.unlock();
        }
    }
}
