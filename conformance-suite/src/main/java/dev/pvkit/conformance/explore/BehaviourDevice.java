package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * PVKit's virtio-blk back-end behaving as a {@link BlkBehaviour} says: it offers what the behaviour offers, holds the
 * requests it takes until a batch fills or its hold time passes, then serves and gives them back together in the
 * behaviour's order (a request is served when it is given back, so a later one really is done first), answers
 * chosen requests with a failure instead, grows the disk after a chosen request, and sends spurious notifications
 * where the driver allows them. Everything it does is something the spec lets a device do.
 *
 * <p>Per-queue state is touched on that queue's worker ({@link #submit} and the timers it schedules run there) and
 * by a reset on the control thread, so each queue's is guarded by its own monitor; the request counter is shared.
 */
public final class BehaviourDevice implements VirtioDevice {
    private static final Logger LOG = LoggerFactory.getLogger(BehaviourDevice.class);

    /** Told when the disk grew (on a queue worker): what a capacity oracle needs to know. */
    @FunctionalInterface
    public interface Listener {
        /** The disk grew to {@code bytes}; {@code announced} when the driver was told. */
        void capacityChanged(long bytes, boolean announced);
    }

    private final BlockStore store;
    private final int queues;
    /** The disk as offered now: replaced only between boots ({@link #reoffer}). */
    private volatile VirtioBlkDevice disk;
    /** The serving behaviour of the try under way; its offer changes only between boots (see {@link #behave}). */
    private volatile BlkBehaviour behaviour;
    private final long storeBytes;
    private final long growBy;
    private volatile long offered;
    private final Listener listener;
    private final Held[] held;
    private final java.util.concurrent.atomic.AtomicInteger ordinals = new java.util.concurrent.atomic.AtomicInteger();
    private volatile DeviceContext context;

    /** Requests a queue holds, and the timer that gives them back if their batch does not fill first. */
    private static final class Held {
        final List<Taken> requests = new ArrayList<>();
        /** Given back one at a time, oldest first. */
        final java.util.ArrayDeque<Taken> trickle = new java.util.ArrayDeque<>();
        DeviceContext.Registration trickleTimer;
        DeviceContext.Registration timer;
        long releases;
    }

    /**
     * A disk on {@code store} exposing {@code capacityBytes} at first, offering what {@code behaviour} offers; each
     * capacity change grows it by {@code growBy} bytes (a multiple of 512) while the store has room.
     */
    public BehaviourDevice(BlockStore store, long capacityBytes, BlkBehaviour behaviour, long growBy, Listener listener) {
        this(store, capacityBytes, behaviour, 1, growBy, listener);
    }

    /** As above, with {@code queues} request queues (more than one offers VIRTIO_BLK_F_MQ). */
    public BehaviourDevice(BlockStore store, long capacityBytes, BlkBehaviour behaviour, int queues, long growBy, Listener listener) {
        if (growBy <= 0 || growBy % 512 != 0) throw new IllegalArgumentException("growth must be a positive multiple of 512: " + growBy);
        this.store = store;
        this.queues = queues;
        this.disk = disk(capacityBytes, behaviour);
        this.behaviour = behaviour;
        this.storeBytes = store.size() / 512 * 512;
        this.growBy = growBy;
        this.offered = offered(disk, behaviour);
        this.listener = listener;
        this.held = new Held[disk.queueCount()];
        for (int i = 0; i < held.length; i++) held[i] = new Held();
    }

    private VirtioBlkDevice disk(long capacityBytes, BlkBehaviour b) {
        BlkOptions o = BlkOptions.defaults(capacityBytes).withPacked(b.packed()).withQueueSize(b.queueSize())
                .withSegments(1 << 20, b.segMax()).withReadOnly(b.readOnly()).withQueues(queues);
        return new VirtioBlkDevice(store, b.offeredGeometry().applyTo(o));
    }

    private static long offered(VirtioBlkDevice d, BlkBehaviour b) {
        long f = d.features();
        if (!b.eventIdx()) f &= ~VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        if (!b.indirect()) f &= ~VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
        return f;
    }

    /**
     * Offers the configuration values {@code g} from the next connection on: the same disk at its present capacity,
     * with another block size, topology and discard and write-zeroes limits. Only between boots, with no front-end
     * connected: QEMU reads the configuration once, when it creates the device. Request listeners are not carried
     * over to the new offer ({@link #disk()} gives the device to set them on).
     */
    public void reoffer(BlkGeometry g) {
        BlkBehaviour b = behaviour.withGeometry(g);
        VirtioBlkDevice d = disk(disk.engine().capacitySectors() * 512, b);
        offered = offered(d, b);
        disk = d;
        behaviour = b;
        ordinals.set(0);
    }

    /** The virtio-blk device underneath (for request listeners). */
    public VirtioBlkDevice disk() {
        return disk;
    }

    public BlkBehaviour behaviour() {
        return behaviour;
    }

    /**
     * Serves from now on as {@code next} says, counting request ordinals from 0 again: one try after another on the
     * same driver session. Its offer must be the device's (a driver cannot see a new one without a new session).
     */
    public void behave(BlkBehaviour next) {
        if (!next.offerKey().equals(behaviour.offerKey())) {
            throw new IllegalArgumentException("offer " + next.offerKey() + " is not this device's " + behaviour.offerKey());
        }
        behaviour = next;
        ordinals.set(0);
    }

    /** How many spurious notifications come while requests are held, and how far apart (see {@link BlkBehaviour#spurious}). */
    static final int SPURIOUS_PER_HOLD = 4;
    static final Duration SPURIOUS_GAP = Duration.ofNanos(200_000);
    /** How far apart requests given back one at a time are. */
    static final Duration ONE_AT_A_TIME_GAP = Duration.ofNanos(30_000);

    @Override
    public void submit(Request request) {
        hold(request.queue(), new Taken(request, ordinals.getAndIncrement()));
    }

    /** A request as taken: served only when it is given back, so completing out of order is doing out of order. */
    private record Taken(Request request, int ordinal) {
    }

    private void hold(int queue, Taken t) {
        Held h = held[queue];
        synchronized (h) {
            h.requests.add(t);
            DeviceContext ctx = context;
            BlkBehaviour b = behaviour;
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

    /**
     * Serves and gives back everything {@code queue} holds, in the behaviour's order. Holding the queue's monitor, on
     * its worker.
     */
    private void release(int queue) {
        Held h = held[queue];
        if (h.timer != null) {
            h.timer.close();
            h.timer = null;
        }
        if (h.requests.isEmpty()) return;
        List<Taken> out = new ArrayList<>(h.requests);
        h.requests.clear();
        BlkBehaviour b = behaviour;
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
            // whatever an earlier batch still has to give back, so the behaviour's order holds across batches too.
            h.trickle.addAll(out);
            if (h.trickleTimer == null) trickle(queue, h, ctx);
        } else {
            for (Taken t : h.trickle) giveBack(t);  // a behaviour switched meanwhile: nothing waits behind it
            h.trickle.clear();
            for (Taken t : out) giveBack(t);
        }
    }

    /** Gives back the oldest request waiting to trickle out, and schedules the next. Holding the queue's monitor. */
    private void trickle(int queue, Held h, DeviceContext ctx) {
        Taken t = h.trickle.poll();
        if (t != null) giveBack(t);
        h.trickleTimer = h.trickle.isEmpty() ? null : ctx.schedule(queue, ONE_AT_A_TIME_GAP, () -> {
            synchronized (h) {
                trickle(queue, h, ctx);
            }
        });
    }

    private void giveBack(Taken t) {
        if (t.request().isCancelled()) return;  // its ring stopped: its memory is not ours to touch
        t.request().complete(serve(t));
    }

    private void spuriousAt(int queue, DeviceContext ctx, Duration after) {
        ctx.schedule(queue, after, () -> {
            ctx.notifySpuriously(queue);
        });
    }

    /** Does what request {@code t} asks, or answers it with the injected failure; returns the bytes written. */
    private long serve(Taken t) {
        Request request = t.request();
        BlkBehaviour b = behaviour;
        InjectedStatus failure = b.failureOf(t.ordinal());
        long written;
        WritableBuffers out = failure != null ? request.writable() : null;
        if (failure != null && out.length() > 0) {
            // The status byte is the last writable byte; nothing else is written, nothing is done.
            out.writeU8(out.length() - 1, (byte) failure.code());
            written = 1;
        } else {
            written = disk.process(request.queue(), request.chain(), request.memory());
        }
        if (t.ordinal() == b.capacityChange()) {
            long bytes = Math.min(storeBytes, disk.engine().capacitySectors() * 512 + growBy);
            boolean announced = disk.resize(bytes);
            listener.capacityChanged(bytes, announced);
        }
        return written;
    }

    @Override
    public void attach(DeviceContext c) {
        context = c;
        disk.attach(c);
    }

    @Override
    public void reset() {
        // What was held is cancelled by the SDK with the ring; only the timers are ours to stop.
        for (Held h : held) {
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
        disk.reset();
    }

    @Override
    public int deviceId() {
        return disk.deviceId();
    }

    @Override
    public long features() {
        return offered;
    }

    @Override
    public int queueCount() {
        return disk.queueCount();
    }

    @Override
    public int maxQueueSize() {
        return disk.maxQueueSize();
    }

    @Override
    public byte[] config() {
        return disk.config();
    }

    @Override
    public boolean writeConfig(int offset, byte[] data) {
        return disk.writeConfig(offset, data);
    }

    @Override
    public void featuresNegotiated(long features) {
        disk.featuresNegotiated(features);
    }

    @Override
    public void statusChanged(int status) {
        disk.statusChanged(status);
    }
}
