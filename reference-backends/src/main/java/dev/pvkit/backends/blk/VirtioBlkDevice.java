package dev.pvkit.backends.blk;

import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;

import static dev.pvkit.backends.blk.VirtioBlk.*;

/**
 * The virtio-blk device (spec section 11) over a {@link BlockStore}: features, the configuration space with its
 * driver-writable cache mode, and request handling through a {@link BlockEngine}. Serve it with
 * {@code VhostUserBackend.serve(new VirtioBlkDevice(store, options), socket)}.
 *
 * <p>Cache mode: writes are writethrough (durable on completion) when FLUSH was offered but neither FLUSH nor
 * CONFIG_WCE negotiated, or when CONFIG_WCE was negotiated and {@code writeback} is 0 [DEV-BLK-034]; otherwise
 * they are durable once a later FLUSH completes [DEV-BLK-035].
 */
public final class VirtioBlkDevice implements VirtioDevice {
    private final BlkOptions options;
    private final BlockEngine engine;
    private final BlkRequestHandler handler;
    private final long offered;
    private volatile long negotiated;
    private volatile int writeback = 1;
    /** The connection's way back to the driver (configuration changes); null while no front-end is connected. */
    private volatile DeviceContext context;
    /** Where requests are served when the device uses I/O threads; null: on the queue's worker, synchronously. */
    private volatile java.util.concurrent.ExecutorService io;
    private final boolean storeAnswersFromMemory;

    public VirtioBlkDevice(BlockStore store, BlkOptions options) {
        if (options.capacityBytes() > store.size()) {
            throw new IllegalArgumentException("capacity " + options.capacityBytes() + " exceeds the store's " + store.size() + " bytes");
        }
        this.options = options;
        this.storeAnswersFromMemory = store.answersFromMemory();
        this.engine = new BlockEngine(store, options.capacityBytes() / BlockEngine.SECTOR_SIZE, options.readOnly(),
                options.limits(), options.serial());
        this.handler = new BlkRequestHandler(engine);
        this.offered = offeredFeatures(options, engine.readOnly());
        updateCacheMode();
    }

    /** The whole store (rounded down to whole sectors) with default options. */
    public VirtioBlkDevice(BlockStore store) {
        this(store, BlkOptions.defaults(store.size() / BlockEngine.SECTOR_SIZE * BlockEngine.SECTOR_SIZE));
    }

    private static long offeredFeatures(BlkOptions o, boolean readOnly) {
        long f = bits(VirtioFeatures.VERSION_1, VirtioFeatures.EVENT_IDX, VirtioFeatures.INDIRECT_DESC,
                F_SIZE_MAX, F_SEG_MAX, F_BLK_SIZE, F_TOPOLOGY, F_FLUSH, F_CONFIG_WCE);  // CONFIG_WCE needs FLUSH [DEV-BLK-002]
        if (readOnly) f |= VirtioFeatures.bit(F_RO);
        if (o.limits().discard()) f |= VirtioFeatures.bit(F_DISCARD);
        if (o.limits().writeZeroes()) f |= VirtioFeatures.bit(F_WRITE_ZEROES);
        if (o.queues() > 1) f |= VirtioFeatures.bit(F_MQ);
        if (o.packed()) f |= VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        return f;
    }

    private static long bits(int... features) {
        long f = 0;
        for (int b : features) f |= VirtioFeatures.bit(b);
        return f;
    }

    /**
     * Reports every decoded request, and each feature negotiation, to {@code l} from now on; null stops reporting.
     * Returns this device.
     */
    public VirtioBlkDevice requestListener(BlkRequestListener l) {
        handler.listener(l);
        return this;
    }

    /** What the device presents now, with {@code negotiatedFeatures} as the driver's features. */
    public BlkDeviceFacts facts(long negotiatedFeatures) {
        BlockLimits l = engine.limits();
        return new BlkDeviceFacts(offered, negotiatedFeatures, engine.capacitySectors(), engine.readOnly(),
                l.discard() ? Integer.toUnsignedLong(l.maxDiscardSeg()) : 0,
                l.writeZeroes() ? Integer.toUnsignedLong(l.maxWriteZeroesSeg()) : 0);
    }

    public BlkOptions options() {
        return options;
    }

    /** The engine, for tests and for reuse of its state (cache mode). */
    public BlockEngine engine() {
        return engine;
    }

    /** Features the driver acknowledged (0 before negotiation and after a reset). */
    public long negotiatedFeatures() {
        return negotiated;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        return offered;
    }

    @Override
    public int queueCount() {
        return options.queues();
    }

    @Override
    public int maxQueueSize() {
        return options.queueSize();
    }

    @Override
    public byte[] config() {
        return BlkConfig.encode(options, engine.capacitySectors(), writeback);
    }

    /** Only {@code writeback} is writable, with 0 or 1, and only when CONFIG_WCE was negotiated [DRV-BLK-023]. */
    @Override
    public boolean writeConfig(int offset, byte[] data) {
        if (offset != CFG_WRITEBACK || data.length != 1 || (data[0] & 0xff) > 1) return false;
        if (!VirtioFeatures.has(negotiated, F_CONFIG_WCE)) return false;
        writeback = data[0];
        updateCacheMode();
        return true;
    }

    @Override
    public void featuresNegotiated(long features) {
        negotiated = features;
        // CONFIG_WCE without FLUSH starts in writethrough [DEV-BLK-003]; otherwise writeback, the fast default.
        writeback = VirtioFeatures.has(features, F_CONFIG_WCE) && !VirtioFeatures.has(features, F_FLUSH) ? 0 : 1;
        updateCacheMode();
        handler.negotiated(this, features);
    }

    @Override
    public void attach(DeviceContext c) {
        context = c;
    }

    /**
     * Changes the capacity to {@code bytes} (a multiple of 512, at most the store's size) and announces the change
     * to the driver with a configuration change notification [DEV-BLK-023]; the driver should then read it again [DRV-BLK-012].
     * Returns whether the announcement reached a driver.
     */
    public boolean resize(long bytes) {
        if (bytes < 0 || bytes % BlockEngine.SECTOR_SIZE != 0) throw new IllegalArgumentException("capacity must be a non-negative multiple of 512: " + bytes);
        engine.resize(bytes / BlockEngine.SECTOR_SIZE);
        DeviceContext c = context;
        return c != null && c.announceConfigChange();
    }

    @Override
    public void reset() {
        negotiated = 0;
        writeback = 1;
        updateCacheMode();
    }

    private void updateCacheMode() {
        long f = negotiated;
        boolean wce = VirtioFeatures.has(f, F_CONFIG_WCE);
        boolean noFlushNoWce = !VirtioFeatures.has(f, F_FLUSH) && !wce;   // durability case 1
        engine.setWriteThrough(noFlushNoWce || (wce && writeback == 0));  // case 2
    }

    @Override
    public long process(int queue, Chain chain, GuestMemory memory) {
        return handler.handle(queue, chain.id(), ReadableBuffers.of(memory, chain), WritableBuffers.of(memory, chain), negotiated);
    }

    /** A request served where it is: its buffers as the request gives them. */
    private long serve(Request request) {
        return handler.handle(request.queue(), request.chain().id(), request.readable(), request.writable(), negotiated);
    }

    /**
     * Serves requests on {@code threads} I/O threads of the device's own instead of on the queue's worker: a slow
     * store (a disk, not the page cache) then keeps up to {@code threads} requests in flight per device, and the
     * worker goes on taking requests from the ring. Completion order follows the I/O, not the ring (the driver
     * allows that); a FLUSH covers the writes completed before it, as virtio asks. Call before serving; the
     * threads are daemons. On a store that answers from memory this is slower than serving in place (a hand-over
     * per request), so it is off by default.
     */
    public VirtioBlkDevice useIoThreads(int threads) {
        if (threads < 1 || threads > 256) throw new IllegalArgumentException("I/O threads must be 1..256, got " + threads);
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        io = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pvkit-blk-io-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return this;
    }

    /**
     * True on {@link #useIoThreads I/O threads} (submit hands the request on), and in place on a store that answers
     * from memory. Not in place on a file: a flush (and, written through, every write) waits for the disk, and the
     * reads completed before it must not wait with it.
     */
    @Override
    public boolean submitsWithoutBlocking() {
        return io != null || storeAnswersFromMemory;
    }

    @Override
    public void submit(Request request) {
        java.util.concurrent.ExecutorService pool = io;
        if (pool == null) {
            request.complete(serve(request));
            return;
        }
        pool.execute(() -> {
            // A request the SDK cancelled (its ring stopped while it waited here) is not touched: its memory may be gone.
            if (request.isCancelled()) return;
            long written = 0;
            try {
                written = serve(request);
            } catch (RuntimeException e) {
                // The same as on the worker: the chain goes back with nothing written, and the failure is logged.
                org.slf4j.LoggerFactory.getLogger(VirtioBlkDevice.class)
                        .error("queue {}: request on chain {} failed on an I/O thread: {}", request.queue(), request.chain().id(), e.toString());
            }
            request.complete(written);
        });
    }
}
