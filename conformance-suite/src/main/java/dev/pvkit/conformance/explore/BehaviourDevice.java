package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;


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
    private final RequestHold<Taken> hold;
    private final java.util.concurrent.atomic.AtomicInteger ordinals = new java.util.concurrent.atomic.AtomicInteger();

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
        this.hold = new RequestHold<>(disk.queueCount(), () -> this.behaviour, this::giveBack);
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

    @Override
    public void submit(Request request) {
        hold.hold(request.queue(), new Taken(request, ordinals.getAndIncrement()));
    }

    /** A request as taken: served only when it is given back, so completing out of order is doing out of order. */
    private record Taken(Request request, int ordinal) {
    }

    private void giveBack(Taken t) {
        if (t.request().isCancelled()) return;  // its ring stopped: its memory is not ours to touch
        t.request().complete(serve(t));
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
        hold.attach(c);
        disk.attach(c);
    }

    @Override
    public void reset() {
        hold.reset(); // what was held is cancelled by the SDK with the ring; only the timers are ours to stop
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
