package dev.pvkit.sdk.testkit;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.PendingRequests;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainError;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A test kit for device authors: drives one {@link VirtioDevice} through the SDK's own driver models and device
 * queues, in this process — no socket, no QEMU, no vhost-user — and shows what the device completed.
 *
 * <pre>{@code
 * try (DeviceHarness h = DeviceHarness.of(device).ring(Format.PACKED).queueSize(16).start()) {
 *     h.post(0, new byte[]{1, 2, 3}, 3);               // readable bytes, writable length
 *     Completion c = h.awaitCompletions(1).get(0);
 *     assertThat(c.writtenBytes()).containsExactly(3, 2, 1);
 *     assertThat(h.recorder(0).rejections()).isEmpty();
 * }
 * }</pre>
 *
 * <p>{@link Builder#start()} plays a driver's set-up: {@link VirtioDevice#attach} with a working
 * {@link DeviceContext}, the status steps ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK around
 * {@link VirtioDevice#featuresNegotiated} (what the driver wants of what the device offers), then guest memory with
 * one split or packed ring per queue, each enabled ({@link VirtioDevice#queueEnabled}),
 * each driven by a {@link SplitDriverQueue} or {@link PackedDriverQueue} and
 * served by a {@link SplitDeviceQueue} or {@link PackedDeviceQueue} with a {@link QueueRecorder} on it.
 *
 * <p>The device side runs as the SDK's server runs it, on one event-loop thread of the harness (the queues'
 * worker): {@link VirtioDevice#submit} there for every valid chain; a {@link Request} may be completed exactly once,
 * from any thread, now or later. A completion made on the loop is applied at once; one made elsewhere waits and
 * is applied, with the others that came meanwhile, on the loop, which publishes them in one batch. A second
 * completion, or one after {@link #close()} cancelled the request, is refused (false) and logged. A device that
 * throws from {@code submit} has the chain returned with nothing written. {@link DeviceContext#watch} and
 * {@link DeviceContext#schedule} run their callbacks on the loop too; {@link DeviceContext#announceConfigChange}
 * is counted. What the harness logs about the device is also kept in {@link #problems()}.
 *
 * <p>The driver side ({@code post}, {@link #run()}, {@link #awaitCompletions}) is the test's: one thread at a time.
 * Each chain posted with {@link Buffers} gets its own area of guest memory until it is reaped; its writable buffers
 * are filled with {@link #UNWRITTEN} first, so a test can tell what the device wrote. An {@link Error} the device
 * throws on the loop (an assertion inside a test device) is rethrown to the test by the next
 * {@code run}, {@code awaitCompletions} or {@code close}.
 */
public final class DeviceHarness implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceHarness.class);

    /** What every writable buffer of a {@link Buffers} chain holds before the device writes. */
    public static final byte UNWRITTEN = (byte) 0xEE;

    /** How long {@link #run()} and {@link #awaitCompletions(int)} wait at most. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    /** Where guest memory starts (guest-physical). */
    private static final long GUEST_BASE = 0x10_0000;

    /** Chains one turn of a queue serves at most, as in the server: other queues and tasks get in between. */
    private static final int TURN = 1024;
    private static final int INDIRECT_ENTRIES = 32;
    private static final long PAGE = 4096;
    private static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8;

    /** The ring format. */
    public enum Format { SPLIT, PACKED }

    /**
     * The shape and content of one chain: device-readable buffers (their bytes), then device-writable buffers
     * (their lengths), directly in the ring or through an indirect table. Every buffer has at least one byte; a
     * posted chain has at least one buffer.
     */
    public record Buffers(List<byte[]> readable, List<Integer> writable, boolean indirect) {
        public Buffers {
            readable = List.copyOf(readable);
            writable = List.copyOf(writable);
            for (byte[] b : readable) {
                if (b.length == 0) throw new IllegalArgumentException("a readable buffer needs at least one byte");
            }
            for (int n : writable) {
                if (n < 1) throw new IllegalArgumentException("a writable buffer needs at least one byte, not " + n);
            }
        }

        /** Readable buffers holding these bytes (none for no argument); add writable ones with {@link #writable}. */
        public static Buffers of(byte[]... readable) {
            return new Buffers(List.of(readable), List.of(), false);
        }

        /** These buffers and writable ones of {@code lengths} after them. */
        public Buffers writable(int... lengths) {
            List<Integer> w = new ArrayList<>(writable);
            for (int n : lengths) w.add(n);
            return new Buffers(readable, w, indirect);
        }

        /**
         * These buffers through an indirect table, or directly in the ring. The driver models do not check that
         * VIRTIO_F_INDIRECT_DESC was negotiated: without it, an indirect chain is how a test shows the device side
         * rejecting a chain ({@code ChainRule.INDIRECT_NOT_NEGOTIATED}).
         */
        public Buffers indirect(boolean viaTable) {
            return new Buffers(readable, writable, viaTable);
        }
    }

    /** Starts a harness for {@code device}; set it up, then {@link Builder#start()}. */
    public static Builder of(VirtioDevice device) {
        return new Builder(device);
    }

    /** How the harness plays the driver. Every setting has a default. */
    public static final class Builder {
        private final VirtioDevice device;
        private long wanted;
        private Format format = Format.SPLIT;
        private int queueSize;
        private int queues;
        private ValidationPolicy policy = ValidationPolicy.strict();
        private int maxChainBytes = 64 * 1024;
        private Duration requestDrain = Duration.ofSeconds(1);

        private Builder(VirtioDevice device) {
            this.device = device;
            this.wanted = device.features();
        }

        /**
         * The features the driver wants (default: all the device offers); it acknowledges those the device offers.
         * VIRTIO_F_RING_PACKED is {@link #ring}'s to decide, whatever this says.
         */
        public Builder features(long wantedFeatures) {
            this.wanted = wantedFeatures;
            return this;
        }

        /** The ring format (default split); packed needs a device that offers VIRTIO_F_RING_PACKED. */
        public Builder ring(Format f) {
            this.format = f;
            return this;
        }

        /** Entries per ring (default 64, or the device's maximum if smaller; split: a power of two). */
        public Builder queueSize(int n) {
            this.queueSize = n;
            return this;
        }

        /** How many of the device's queues get a ring (default all), from queue 0. */
        public Builder queues(int n) {
            this.queues = n;
            return this;
        }

        /** How the device queues react to chains that break a rule (default {@link ValidationPolicy#strict()}). */
        public Builder policy(ValidationPolicy p) {
            this.policy = p;
            return this;
        }

        /** Guest memory one posted chain's buffers may take (default 64 KiB). */
        public Builder maxChainBytes(int bytes) {
            if (bytes < 16) throw new IllegalArgumentException("maxChainBytes must be at least 16");
            this.maxChainBytes = bytes;
            return this;
        }

        /** How long {@link #close()} waits for requests the device still holds before it cancels them (default 1 s). */
        public Builder requestDrain(Duration d) {
            this.requestDrain = d;
            return this;
        }

        /** Negotiates, lays out the rings and starts serving them. */
        public DeviceHarness start() {
            long offered = device.features();
            long packedBit = VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
            if (format == Format.PACKED && (offered & packedBit) == 0) {
                throw new IllegalArgumentException("the device does not offer VIRTIO_F_RING_PACKED");
            }
            long negotiated = offered & wanted & ~packedBit | (format == Format.PACKED ? packedBit : 0);
            int count = queues == 0 ? device.queueCount() : queues;
            if (count < 1 || count > device.queueCount()) {
                throw new IllegalArgumentException("queues must be 1.." + device.queueCount() + ", not " + count);
            }
            int size = queueSize == 0 ? defaultQueueSize() : queueSize;
            int max = Math.min(device.maxQueueSize(), QueueConfig.MAX_SIZE);
            if (size < 1 || size > max || (format == Format.SPLIT && Integer.bitCount(size) != 1)) {
                throw new IllegalArgumentException("queue size " + size + " is not a valid " + format
                        + " size for this device (1.." + max + (format == Format.SPLIT ? ", a power of two)" : ")"));
            }
            return new DeviceHarness(this, negotiated, count, size);
        }

        private int defaultQueueSize() {
            int n = Math.min(64, Math.min(device.maxQueueSize(), QueueConfig.MAX_SIZE));
            return format == Format.SPLIT ? Integer.highestOneBit(n) : n;
        }
    }

    private final VirtioDevice device;
    private final long features;
    private final int maxChainBytes;
    private final Duration requestDrain;
    private final OwnedGuestMemory guest;
    private final GuestMemory memory;
    private final List<Lane> lanes = new ArrayList<>();
    private final EventLoop loop;
    private final Context context = new Context();
    private final List<DeviceContext.Registration> registrations = new CopyOnWriteArrayList<>();
    private final AtomicInteger configChanges = new AtomicInteger();
    private final AtomicInteger spuriousNotifications = new AtomicInteger();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    // The driver side, guarded by driverLock.
    private final Object driverLock = new Object();
    private final ArrayDeque<Completion> ready = new ArrayDeque<>();
    private final List<Completion> history = new ArrayList<>();
    private boolean closed;

    // Publications, for a driver waiting for completions.
    private final Object publishedSignal = new Object();
    private long publications;

    private DeviceHarness(Builder b, long features, int queues, int size) {
        this.device = b.device;
        this.features = features;
        this.maxChainBytes = (b.maxChainBytes + 15) & ~15;
        this.requestDrain = b.requestDrain;
        boolean packed = b.format == Format.PACKED;
        long ringBytes = packed
                ? align(PackedRing.ringBytes(size)) + PAGE
                : align(SplitRing.descTableBytes(size)) + align(SplitRing.availBytes(size)) + align(SplitRing.usedBytes(size));
        long laneBytes = ringBytes + align(IndirectArea.bytes(size, INDIRECT_ENTRIES)) + (long) size * maxChainBytes;
        this.guest = OwnedGuestMemory.anonymous(GUEST_BASE, align(laneBytes * queues));
        this.memory = guest.memory();
        String name = device.getClass().getName();
        this.loop = new EventLoop("pvkit-harness-" + name.substring(name.lastIndexOf('.') + 1), this::flushAll, this::failed);
        try {
            device.attach(context);
            device.statusChanged(ACKNOWLEDGE);
            device.statusChanged(ACKNOWLEDGE | DRIVER);
            device.featuresNegotiated(features);
            device.statusChanged(ACKNOWLEDGE | DRIVER | FEATURES_OK);
            for (int i = 0; i < queues; i++) lanes.add(new Lane(i, GUEST_BASE + laneBytes * i, size, packed, b.policy));
            for (int i = 0; i < queues; i++) device.queueEnabled(i, true); // as a front-end enables each ring it set up
            device.statusChanged(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
        } catch (RuntimeException | Error e) {
            loop.close();
            guest.close();
            throw e;
        }
        loop.start();
    }

    private static long align(long bytes) {
        return (bytes + PAGE - 1) & -PAGE;
    }

    // ------------------------------------------------------------------------------------------------ driver side

    /** Posts a chain of one readable buffer holding {@code readable} (none if empty) and one writable buffer of {@code writableLength} bytes (none if 0). */
    public int post(int queue, byte[] readable, int writableLength) {
        Buffers b = readable.length == 0 ? Buffers.of() : Buffers.of(readable);
        return post(queue, writableLength == 0 ? b : b.writable(writableLength));
    }

    /**
     * Lays out {@code buffers} in guest memory and makes the chain available on {@code queue} (a split ring
     * publishes it at the next {@link #run()} or {@link #awaitCompletions}); returns the id its used entry will
     * carry. Throws {@link IllegalStateException} when the ring has no room for it.
     */
    public int post(int queue, Buffers buffers) {
        if (buffers.readable().isEmpty() && buffers.writable().isEmpty()) throw new IllegalArgumentException("a chain needs a buffer");
        long bytes = 0;
        for (byte[] r : buffers.readable()) bytes += (r.length + 15) & ~15;
        for (int w : buffers.writable()) bytes += (w + 15L) & ~15;
        if (bytes > maxChainBytes) {
            throw new IllegalArgumentException("the chain's buffers take " + bytes + " bytes; maxChainBytes is " + maxChainBytes);
        }
        synchronized (driverLock) {
            Lane l = openLane(queue);
            if (!l.driver.canPost(buffers.readable().size(), buffers.writable().size(), buffers.indirect())) {
                throw new IllegalStateException("queue " + queue + " has no room for a chain of "
                        + (buffers.readable().size() + buffers.writable().size()) + " buffers"
                        + (buffers.indirect() ? " (indirect)" : "") + "; " + l.driver.outstanding() + " chains outstanding");
            }
            int slot = l.freeSlots.pop();
            long at = l.data + (long) slot * maxChainBytes;
            List<Segment> readable = new ArrayList<>();
            List<Segment> writable = new ArrayList<>();
            for (byte[] r : buffers.readable()) {
                memory.write(at, r, 0, r.length);
                readable.add(new Segment(at, r.length));
                at += (r.length + 15) & ~15;
            }
            for (int w : buffers.writable()) {
                memory.fill(at, w, UNWRITTEN);
                writable.add(new Segment(at, w));
                at += (w + 15L) & ~15;
            }
            return l.posted(slot, readable, writable, buffers.indirect());
        }
    }

    /**
     * Makes a chain of the given buffers available as they are, wherever they point (guest memory is
     * {@link #memory()}; the test writes it): for chains a well-laid-out {@link Buffers} cannot express, such as a
     * buffer outside guest memory. The completion shows the writable buffers' content if they all lie in memory.
     */
    public int postSegments(int queue, List<Segment> readable, List<Segment> writable, boolean indirect) {
        synchronized (driverLock) {
            Lane l = openLane(queue);
            if (!l.driver.canPost(readable.size(), writable.size(), indirect)) {
                throw new IllegalStateException("queue " + queue + " has no room for this chain; "
                        + l.driver.outstanding() + " chains outstanding");
            }
            return l.posted(-1, readable, writable, indirect);
        }
    }

    /**
     * Publishes what was posted, notifies the device where the driver should, waits until the device has taken
     * it all (and done whatever else was handed to the event loop before), then returns the completions reaped
     * and not yet returned. For a synchronous device, that is every chain posted.
     */
    public List<Completion> run() {
        synchronized (driverLock) {
            publishAndKick();
        }
        if (!loop.awaitIdle(DEFAULT_TIMEOUT)) {
            throw new AssertionError("the device kept the harness's event loop busy for " + DEFAULT_TIMEOUT.toSeconds()
                    + " s (a submit or callback that blocks?)");
        }
        checkFailure();
        synchronized (driverLock) {
            reapAll();
            List<Completion> out = List.copyOf(ready);
            ready.clear();
            return out;
        }
    }

    /** {@link #awaitCompletions(int, Duration)} with {@link #DEFAULT_TIMEOUT}. */
    public List<Completion> awaitCompletions(int n) {
        return awaitCompletions(n, DEFAULT_TIMEOUT);
    }

    /**
     * Publishes what was posted, then waits until {@code n} completions not yet returned have been reaped and
     * returns those {@code n}, in the order the driver reaped them (any more stay for the next call). Fails with
     * an {@link AssertionError} saying what is still outstanding when they do not come within {@code timeout}.
     */
    public List<Completion> awaitCompletions(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (driverLock) {
            publishAndKick();
        }
        while (true) {
            long seen;
            synchronized (publishedSignal) {
                seen = publications;
            }
            synchronized (driverLock) {
                reapAll();
                if (ready.size() >= n) {
                    List<Completion> out = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) out.add(ready.poll());
                    return out;
                }
            }
            checkFailure();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                synchronized (driverLock) {
                    throw new AssertionError(missing(n, timeout));
                }
            }
            synchronized (publishedSignal) {
                while (publications == seen && (left = deadline - System.nanoTime()) > 0) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(publishedSignal, left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted while waiting for completions", e);
                    }
                }
            }
        }
    }

    private String missing(int n, Duration timeout) {
        StringBuilder sb = new StringBuilder("expected ").append(n).append(" completion(s) within ").append(timeout.toMillis())
                .append(" ms, got ").append(ready.size()).append(';');
        for (Lane l : lanes) {
            sb.append(" queue ").append(l.index).append(": ").append(l.driver.outstanding()).append(" posted and not given back")
                    .append(" (").append(l.pending.outstanding()).append(" held by the device)").append(l.brokenBy != null ? ", stopped: " + l.brokenBy : "")
                    .append(';');
        }
        if (!problems.isEmpty()) sb.append(" problems: ").append(problems);
        return sb.toString();
    }

    /** Every completion reaped so far, in order, whether or not it was returned yet. */
    public List<Completion> completions() {
        synchronized (driverLock) {
            return List.copyOf(history);
        }
    }

    /** Chains posted on any queue and not yet reaped. */
    public int outstanding() {
        synchronized (driverLock) {
            int n = 0;
            for (Lane l : lanes) n += l.driver.outstanding();
            return n;
        }
    }

    private void publishAndKick() {
        if (closed) throw new IllegalStateException("the harness is closed");
        for (Lane l : lanes) {
            if (!l.unpublished) continue;
            l.unpublished = false;
            // Like a driver: notify the device only when the ring says it wants to be.
            if (l.driver.publish()) loop.execute(() -> serve(l, true));
        }
    }

    private void reapAll() {
        for (Lane l : lanes) {
            for (DriverQueue.Used u : l.driver.reap()) {
                Posted p = l.posted.remove(u.id());
                byte[] content = p == null ? new byte[0] : content(p.writable());
                if (p != null && p.slot() >= 0) l.freeSlots.push(p.slot());
                Completion c = new Completion(l.index, u.id(), u.length(), content);
                ready.add(c);
                history.add(c);
            }
        }
    }

    private byte[] content(List<Segment> writable) {
        long total = 0;
        for (Segment s : writable) {
            if (!memory.contains(s.address(), s.unsignedLength())) return new byte[0];
            total += s.unsignedLength();
        }
        if (total > Integer.MAX_VALUE - 8) return new byte[0];
        byte[] out = new byte[(int) total];
        int at = 0;
        for (Segment s : writable) {
            memory.read(s.address(), out, at, s.length());
            at += s.length();
        }
        return out;
    }

    /** For posting: the harness must be open. */
    private Lane openLane(int queue) {
        if (closed) throw new IllegalStateException("the harness is closed");
        return lane(queue);
    }

    private Lane lane(int queue) {
        if (queue < 0 || queue >= lanes.size()) {
            throw new IllegalArgumentException("queue " + queue + " has no ring (" + lanes.size() + " started)");
        }
        return lanes.get(queue);
    }

    // ------------------------------------------------------------------------------------------------ what a test reads

    public VirtioDevice device() {
        return device;
    }

    /** The features negotiated: what the driver wanted of what the device offered. */
    public long features() {
        return features;
    }

    /** The guest memory the rings and buffers lie in. */
    public GuestMemory memory() {
        return memory;
    }

    /** What {@code queue}'s device-side queue saw. */
    public QueueRecorder recorder(int queue) {
        return lane(queue).recorder;
    }

    /** The rule violation that stopped {@code queue} (its policy said NEEDS_RESET), or null while it runs. */
    public ChainError broken(int queue) {
        return lane(queue).brokenBy;
    }

    /** The device's configuration space, as the driver reads it. */
    public byte[] config() {
        return device.config();
    }

    /** A driver's write into the configuration space: false when it is out of range or the device refuses it. */
    public boolean writeConfig(int offset, byte[] data) {
        int length = device.config().length;
        return offset >= 0 && offset <= length - data.length && device.writeConfig(offset, data);
    }

    /** How many times the device announced a configuration change. */
    public int configChangesAnnounced() {
        return configChanges.get();
    }

    /** How many spurious used-buffer notifications the device sent (those the driver's suppression allowed). */
    public int spuriousNotificationsSent() {
        return spuriousNotifications.get();
    }

    /**
     * What the harness logged about the device, in order: chains completed twice or after cancellation, a
     * {@code submit} or callback that threw, a queue stopped by a rule violation, requests cancelled at close.
     */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    // ------------------------------------------------------------------------------------------------ device side (the loop)

    /**
     * One turn of a queue, as the server's ring processor does it: the kick, completions made elsewhere, then
     * every available chain to the device, each completion published at once, until the ring is empty with
     * notifications enabled again (or a turn's worth was served: the rest comes after other work).
     */
    private void serve(Lane l, boolean kicked) {
        DeviceQueue q = l.device;
        if (kicked) q.kickReceived();
        l.flush();
        if (q.isBroken()) return;
        int served = 0;
        boolean more = false;
        do {
            Chain c;
            while (!more && (c = q.poll()) != null) {
                Request r = l.pending.open(l.device, c, memory);
                try {
                    device.submit(r);
                } catch (RuntimeException e) {
                    problem(true, String.format("queue %d: device failed on chain %d: %s", l.index, c.id(), e));
                    if (l.pending.isOpen(r)) r.complete(0);
                } catch (Error e) {
                    failed(e); // for the test to see; the chain goes back as a failed one does
                    if (l.pending.isOpen(r)) r.complete(0);
                }
                l.flush();
                more = ++served == TURN;
            }
        } while (!more && !q.isBroken() && q.enableNotifications());
        if (q.isBroken() && l.brokenBy == null) {
            l.brokenBy = q.brokenBy();
            problem(false, "queue " + l.index + " stopped: " + q.brokenBy());
        }
        if (more && !q.isBroken()) loop.execute(() -> serve(l, false));
    }

    /** After every round of the loop: completions made elsewhere are applied and published. */
    private void flushAll() {
        for (Lane l : lanes) l.flush();
    }

    private void driverNotified() {
        synchronized (publishedSignal) {
            publications++;
            publishedSignal.notifyAll();
        }
    }

    private void failed(Throwable t) {
        if (t instanceof Error) {
            failure.compareAndSet(null, t);
            LOG.error("the device failed on the harness's event loop", t);
            driverNotified(); // a test waiting for completions learns of it now
        } else {
            problem(false, "a device callback failed: " + t);
        }
    }

    private void checkFailure() {
        Throwable t = failure.getAndSet(null);
        if (t != null) throw new AssertionError("the device failed on the harness's event loop: " + t, t);
    }

    private void problem(boolean error, String line) {
        if (error) LOG.error(line);
        else LOG.warn(line);
        problems.add(line);
    }

    /** The device's view of the harness: its event loop stands for every queue's worker. */
    private final class Context implements DeviceContext {
        @Override
        public boolean announceConfigChange() {
            configChanges.incrementAndGet();
            return true;
        }

        /** Called on the loop, like the server's, so the lane's queue is the loop's to read. */
        @Override
        public boolean notifySpuriously(int queue) {
            checkQueue(queue);
            if (queue >= lanes.size() || !lanes.get(queue).device.notificationsWanted()) return false;
            spuriousNotifications.incrementAndGet();
            return true;
        }

        @Override
        public Registration watch(int queue, int fd, Runnable onReadable) {
            checkQueue(queue);
            return keep(loop.watch(fd, onReadable));
        }

        @Override
        public Registration schedule(int queue, Duration delay, Runnable task) {
            checkQueue(queue);
            return keep(loop.schedule(delay, task));
        }

        private Registration keep(Registration r) {
            registrations.add(r);
            return () -> {
                registrations.remove(r);
                r.close();
            };
        }

        private void checkQueue(int queue) {
            if (queue < 0 || queue >= device.queueCount()) {
                throw new IllegalArgumentException("queue " + queue + " does not exist (the device has " + device.queueCount() + ")");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ closing

    /**
     * Stops as a ring stops in the server: waits up to the request drain for the requests the device holds
     * (publishing what it completes), then cancels the rest and logs how many (quietly on a queue the device
     * {@linkplain VirtioDevice#holdsRequests holds requests on}); ends the device's watches and
     * timers, stops the loop, {@linkplain VirtioDevice#reset resets} the device and frees guest memory.
     */
    @Override
    public void close() {
        synchronized (driverLock) {
            if (closed) return;
            closed = true;
        }
        long deadline = System.nanoTime() + requestDrain.toNanos();
        while (held() > 0 && System.nanoTime() - deadline < 0) LockSupport.parkNanos(1_000_000);
        loop.execute(this::cancelHeld);
        loop.awaitIdle(DEFAULT_TIMEOUT);
        for (DeviceContext.Registration r : registrations) r.close();
        registrations.clear();
        try {
            loop.close();
            device.reset();
        } finally {
            guest.close();
        }
        checkFailure();
    }

    /** Requests held on queues whose device does not hold them by design ({@link VirtioDevice#holdsRequests}). */
    private int held() {
        int n = 0;
        for (Lane l : lanes) {
            if (!device.holdsRequests(l.index)) n += l.pending.outstanding();
        }
        return n;
    }

    private void cancelHeld() {
        for (Lane l : lanes) {
            l.flush();
            int cancelled = l.pending.cancelRemaining(l.device);
            if (cancelled > 0 && !device.holdsRequests(l.index)) {
                problem(false, String.format("queue %d: %d request(s) the device did not complete within %d ms of the harness"
                        + " closing are cancelled and never reach the driver", l.index, cancelled, requestDrain.toMillis()));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ one queue

    /** A posted chain: its buffer area ({@code -1}: none, posted raw) and writable buffers. */
    private record Posted(int slot, List<Segment> writable) {
    }

    /** One queue: its ring's two sides and their bookkeeping. */
    private final class Lane {
        final int index;
        final DriverQueue driver;
        final DeviceQueue device;
        final QueueRecorder recorder = new QueueRecorder();
        final long data;

        // Driver side, under driverLock.
        final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
        final Map<Integer, Posted> posted = new HashMap<>();
        boolean unpublished;

        // Device side, on the loop: the same bookkeeping of the device's requests as the server's rings keep.
        final PendingRequests pending;
        volatile ChainError brokenBy;

        Lane(int index, long at, int size, boolean packed, ValidationPolicy policy) {
            this.index = index;
            this.pending = new PendingRequests(index, loop::inLoop, loop::wakeUp, DeviceHarness.this::problem,
                    "the harness stopped its ring");
            IndirectArea indirect;
            QueueConfig config;
            if (packed) {
                PackedRing ring = new PackedRing(size, at, at + align(PackedRing.ringBytes(size)), at + align(PackedRing.ringBytes(size)) + 16);
                at += align(PackedRing.ringBytes(size)) + PAGE;
                indirect = new IndirectArea(at, INDIRECT_ENTRIES);
                driver = new PackedDriverQueue(memory, ring, features, indirect, 0, true);
                config = QueueConfig.of(index, size, ring.descriptors(), ring.driverEvent(), ring.deviceEvent(), features);
            } else {
                long avail = at + align(SplitRing.descTableBytes(size));
                long used = avail + align(SplitRing.availBytes(size));
                SplitRing ring = new SplitRing(size, at, avail, used);
                at = used + align(SplitRing.usedBytes(size));
                indirect = new IndirectArea(at, INDIRECT_ENTRIES);
                driver = new SplitDriverQueue(memory, ring, features, indirect, 0);
                config = QueueConfig.of(index, size, ring.descriptors(), ring.avail(), ring.used(), features);
            }
            config = config.withPolicy(policy).withObserver(recorder);
            device = packed ? new PackedDeviceQueue(memory, config) : new SplitDeviceQueue(memory, config);
            device.enableNotifications(); // as a device does before it first waits for a kick
            this.data = at + align(IndirectArea.bytes(size, INDIRECT_ENTRIES));
            for (int slot = size - 1; slot >= 0; slot--) freeSlots.push(slot);
        }

        /** Driver side: the chain is laid out; posts it. */
        int posted(int slot, List<Segment> readable, List<Segment> writable, boolean indirect) {
            int id = driver.post(readable, writable, indirect);
            posted.put(id, new Posted(slot, List.copyOf(writable)));
            unpublished = true;
            return id;
        }

        /** Device side: applies completions made elsewhere and publishes what is waiting. */
        void flush() {
            if (!pending.applyCompleted(device)) return;
            device.publish();
            pending.published();
            driverNotified();
        }
    }
}
