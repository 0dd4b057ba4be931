package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.observe.QueueEventFd;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.QueueSetupException;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * A session's rings as the front-end sets them up (SET_VRING_*, GET_VRING_BASE) and the workers that serve them
 * ({@link RingProcessor}). A ring starts when its kick arrives: its device queue is built on the current guest
 * memory, with the negotiated features, and the addresses the front-end gave translated to guest-physical ones.
 */
final class Rings implements AutoCloseable {
    private final Vring[] rings;
    private final QueueWorkers workers;
    private final VirtioDevice device;
    private final BackendObserver observer;
    private final ValidationPolicy policy;
    private final InflightTracking inflight;
    /** How long a stopping ring waits for the requests its device holds. */
    private final long drainNanos;
    private final RingProcessor processor;
    /** A device's timers: fire here, run on the queue's worker. Started on first use. */
    private java.util.concurrent.ScheduledThreadPoolExecutor timers;

    /** The features the rings run with; 0 until SET_FEATURES and after a reset. */
    private long features;
    /** The guest memory the started queues run on; replaced only while every ring is locked. */
    private volatile GuestMemory memory;

    /** {@code onBreak} runs, on a worker under the ring's lock, once for each break a ring reports. */
    Rings(int count, VirtioDevice device, BackendObserver observer, ValidationPolicy policy, InflightTracking inflight,
          int workerCount, String name, Runnable onBreak, long drainNanos) {
        this.rings = new Vring[count];
        for (int i = 0; i < rings.length; i++) {
            int index = i;
            rings[i] = new Vring(i, () -> wakeWorkerOf(index)); // the workers exist by the time a device completes
        }
        this.drainNanos = drainNanos;
        this.device = device;
        this.observer = observer;
        this.policy = policy;
        this.inflight = inflight;
        this.processor = new RingProcessor(rings, device, () -> memory, onBreak);
        this.workers = new QueueWorkers(Math.min(workerCount, Math.max(1, rings.length)), name, processor::process);
    }

    int count() {
        return rings.length;
    }

    private void wakeWorkerOf(int queue) {
        workers.poke(queue);
    }

    // ---------------------------------------------------------------- a device's own events

    /** {@link dev.pvkit.sdk.device.DeviceContext#watch}: the callback runs on the queue's worker, holding the ring. */
    Runnable watch(int queue, int fd, Runnable onReadable) {
        checkQueue(queue);
        return workers.watchDeviceFd(queue, fd, () -> processor.runForDevice(queue, onReadable));
    }

    /** {@link dev.pvkit.sdk.device.DeviceContext#schedule}: fires on the timer thread, runs on the queue's worker. */
    synchronized Runnable schedule(int queue, java.time.Duration delay, Runnable task) {
        checkQueue(queue);
        if (timers == null) {
            timers = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "pvkit-device-timers");
                t.setDaemon(true);
                return t;
            });
            timers.setRemoveOnCancelPolicy(true); // a cancelled timer frees its slot at once
        }
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> f = timers.schedule(
                () -> workers.runOn(queue, () -> {
                    if (!closed.get()) processor.runForDevice(queue, task);
                }), Math.max(0, delay.toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
        return () -> {
            closed.set(true);
            f.cancel(false);
        };
    }

    private void checkQueue(int queue) {
        if (queue < 0 || queue >= rings.length) {
            throw new IllegalArgumentException("queue " + queue + " does not exist (the device has " + rings.length + ")");
        }
    }

    void useFeatures(long negotiated) {
        features = negotiated;
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

    // ---------------------------------------------------------------- set-up messages

    void setNum(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_NUM, s.index());
        int num = s.num();
        boolean packed = VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
        if (num < 1 || num > device.maxQueueSize() || num > QueueConfig.MAX_SIZE || (!packed && Integer.bitCount(num) != 1)) {
            throw violation(FrontendRequest.SET_VRING_NUM, VhostUserRule.QUEUE_SIZE, Integer.toUnsignedString(num) + " is not "
                    + (packed ? "" : "a power of two ") + "in 1.." + Math.min(device.maxQueueSize(), QueueConfig.MAX_SIZE));
        }
        locked(ring, () -> {
            if (ring.started()) throw violation(FrontendRequest.SET_VRING_NUM, VhostUserRule.RING_RUNNING, "queue " + ring.index + " is started");
            ring.size = num;
        });
        observer.queueSize(ring.index, num);
    }

    void setAddress(Bodies.VringAddress a) {
        Vring ring = ring(FrontendRequest.SET_VRING_ADDR, a.index());
        locked(ring, () -> {
            if (ring.started()) throw violation(FrontendRequest.SET_VRING_ADDR, VhostUserRule.RING_RUNNING, "queue " + ring.index + " is started");
            ring.address = a;
        });
        observer.queueAddressesSet(ring.index, a.descriptors(), a.avail(), a.used());
    }

    void setBase(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_BASE, s.index());
        locked(ring, () -> {
            if (ring.started()) throw violation(FrontendRequest.SET_VRING_BASE, VhostUserRule.RING_RUNNING, "queue " + ring.index + " is started");
            ring.base = Integer.toUnsignedLong(s.num());
        });
        observer.queueBase(ring.index, Integer.toUnsignedLong(s.num()));
    }

    /** SET_VRING_KICK: a new kick (none: polled), and the ring starts if it was stopped. */
    void setKick(Message m) {
        long v = Bodies.u64(m);
        Vring ring = ring(FrontendRequest.SET_VRING_KICK, (int) (v & Bodies.VRING_INDEX_MASK));
        EventFd kick = (v & Bodies.VRING_NOFD) != 0 ? null : EventFd.adopt(m.takeFd(0));
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

    void setCall(Message m) {
        withEventFd(FrontendRequest.SET_VRING_CALL, m, QueueEventFd.CALL, (v, fd) -> {
            if (v.call != null) v.call.close();
            v.call = fd;
        });
    }

    void setErr(Message m) {
        withEventFd(FrontendRequest.SET_VRING_ERR, m, QueueEventFd.ERR, (v, fd) -> {
            if (v.err != null) v.err.close();
            v.err = fd;
        });
    }

    void setEnable(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_ENABLE, s.index());
        if (s.num() != 0 && s.num() != 1) throw violation(FrontendRequest.SET_VRING_ENABLE, VhostUserRule.ENABLE_VALUE, s.num() + " is neither 0 nor 1");
        locked(ring, () -> ring.enabled = s.num() == 1);
        observer.queueEnabled(ring.index, s.num() == 1);
        workers.poke(ring.index);
    }

    /** GET_VRING_BASE: stops the ring and returns where it stands [BE-VU-017]. */
    long stop(int index) {
        Vring ring = ring(FrontendRequest.GET_VRING_BASE, index);
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

    // ---------------------------------------------------------------- whole-session changes

    /** Without protocol features there is no SET_VRING_ENABLE: every ring is enabled at once [BE-VU-019]. */
    void enableAll() {
        for (Vring ring : rings) {
            ring.lock.lock();
            try {
                ring.enabled = true;
            } finally {
                ring.lock.unlock();
            }
        }
    }

    /** Every ring back to its initial state, and the features forgotten (RESET_OWNER, RESET_DEVICE). */
    void reset() {
        for (Vring ring : rings) {
            ring.lock.lock();
            try {
                workers.unwatch(ring.index, ring.kick);
                ring.settle(drainNanos, "reset");
                ring.reset();
            } finally {
                ring.lock.unlock();
            }
        }
        features = 0;
    }

    /**
     * Moves the rings to a new memory map: every ring is locked while its queue moves to the new map, so no worker
     * ever reads through a half-replaced map; {@code commit} runs before they are unlocked, so the old mappings it
     * unmaps are no longer in use. Every started ring's queue is built on the new map first; a map one of them
     * cannot run on (an area outside it, or misaligned there) is refused ({@code cause}'s violation) before anything
     * changes: the rings and the old map stay as they were, and no ring ever uses the map the caller then unmaps.
     */
    void moveTo(FrontendRequest cause, GuestMemory fresh, Runnable commit) {
        lockAll();
        try {
            // Requests in flight point into the old map, which the commit may unmap: settle them on it first.
            for (Vring ring : rings) ring.settle(drainNanos, "memory map change");
            Built[] moved = new Built[rings.length];
            for (Vring ring : rings) {
                if (ring.started()) moved[ring.index] = build(cause, ring, fresh, ring.queue.base());
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
            for (Built b : moved) {
                if (b != null) announce(b); // after the commit: an observer that throws cannot undo it half way
            }
        } finally {
            unlockAll();
        }
    }

    /** Recovered requests the old queue had not handed out yet go on in the rebuilt one. */
    private static void takeResubmissions(DeviceQueue previous, DeviceQueue rebuilt) {
        if (rebuilt instanceof SplitDeviceQueue split && previous instanceof SplitDeviceQueue old) split.takeResubmissions(old);
        if (rebuilt instanceof PackedDeviceQueue packed && previous instanceof PackedDeviceQueue old) packed.takeResubmissions(old);
    }

    /** Locks every ring, so no worker runs while something they all use is replaced. */
    void lockAll() {
        for (Vring ring : rings) ring.lock.lock();
    }

    void unlockAll() {
        for (Vring ring : rings) ring.lock.unlock();
    }

    /** Stops the workers and forgets the rings and the memory. */
    @Override
    public void close() {
        synchronized (this) {
            if (timers != null) timers.shutdownNow();
        }
        workers.close();
        for (Vring ring : rings) {
            ring.lock.lock();
            try {
                ring.settle(drainNanos, "connection closed");
                ring.reset();
            } finally {
                ring.lock.unlock();
            }
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
        Built b = build(cause, ring, mem, ring.base);
        install(ring, b, recover);
        announce(b);
    }

    /**
     * The device queue for a configured ring on {@code mem}, resuming at {@code base}; changes nothing, throws a
     * violation when the set-up cannot be served there.
     */
    private Built build(FrontendRequest cause, Vring ring, GuestMemory mem, long base) {
        if (ring.size == 0 || ring.address == null) {
            throw violation(cause, VhostUserRule.RING_NOT_CONFIGURED, "queue " + ring.index + " has no size or addresses");
        }
        Areas at = areas(cause, ring, mem);
        QueueConfig c = new QueueConfig(ring.index, ring.size, at.descriptors(), at.driver(), at.device(), features, policy,
                observer.queueObserver(ring.index), base);
        try {
            return new Built(packed() ? new PackedDeviceQueue(mem, c) : new SplitDeviceQueue(mem, c), at);
        } catch (QueueSetupException e) {
            throw violation(cause, VhostUserRule.RING_SET_UP, e.getMessage());
        }
    }

    /** A queue built for a ring, and the guest-physical areas it runs on. */
    private record Built(DeviceQueue queue, Areas at) {
    }

    /** Makes the built queue the ring's, recording into the inflight area when there is one. */
    private void install(Vring ring, Built built, boolean recover) {
        ring.queue = built.queue();
        inflight.attach(ring.index, built.queue(), ring.size, packed(), recover);
    }

    private void announce(Built built) {
        int index = built.queue().index();
        observer.queueAddresses(index, built.at().descriptors(), built.at().driver(), built.at().device());
        observer.queueStarted(index);
    }

    /** A ring's three areas as guest-physical addresses in {@code mem}. */
    private record Areas(long descriptors, long driver, long device) {
    }

    /**
     * Translates a ring's addresses (the front-end's virtual addresses) into {@code mem}, each with its full extent;
     * a violation of {@code cause} when one is not inside.
     */
    private Areas areas(FrontendRequest cause, Vring ring, GuestMemory mem) {
        boolean packed = packed();
        int q = ring.size;
        Bodies.VringAddress a = ring.address;
        return new Areas(
                translate(cause, mem, ring, "descriptor area", a.descriptors(), packed ? PackedRing.ringBytes(q) : SplitRing.descTableBytes(q)),
                translate(cause, mem, ring, "driver area", a.avail(), packed ? PackedRing.EVENT_BYTES : SplitRing.availBytes(q)),
                translate(cause, mem, ring, "device area", a.used(), packed ? PackedRing.EVENT_BYTES : SplitRing.usedBytes(q)));
    }

    private boolean packed() {
        return VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
    }

    private static long translate(FrontendRequest cause, GuestMemory mem, Vring ring, String what, long userAddress, long bytes) {
        long gpa = mem.guestAddressOfUser(userAddress, bytes);
        if (gpa < 0) {
            throw violation(cause, VhostUserRule.RING_ADDRESS, String.format("queue %d %s at 0x%x+%d is not inside guest memory",
                    ring.index, what, userAddress, bytes));
        }
        return gpa;
    }

    // ---------------------------------------------------------------- helpers

    private Vring ring(FrontendRequest r, int index) {
        if (index < 0 || index >= rings.length) {
            throw violation(r, VhostUserRule.QUEUE_INDEX, index + " is not below the queue count " + rings.length);
        }
        return rings[index];
    }

    private interface EventFdSetter {
        void set(Vring ring, EventFd fd);
    }

    private void withEventFd(FrontendRequest r, Message m, QueueEventFd which, EventFdSetter setter) {
        long v = Bodies.u64(m);
        Vring ring = ring(r, (int) (v & Bodies.VRING_INDEX_MASK));
        EventFd fd = (v & Bodies.VRING_NOFD) != 0 ? null : EventFd.adopt(m.takeFd(0));
        locked(ring, () -> setter.set(ring, fd));
        observer.queueEventFdSet(ring.index, which, fd != null);
    }

    private static void locked(Vring ring, Runnable action) {
        ring.lock.lock();
        try {
            action.run();
        } finally {
            ring.lock.unlock();
        }
    }
}
