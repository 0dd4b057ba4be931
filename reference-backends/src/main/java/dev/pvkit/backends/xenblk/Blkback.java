package dev.pvkit.backends.xenblk;

import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.sdk.xen.FrontendRefusal;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.GrantStatus;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.XenPlatform;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusBackend;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One virtual block device's back-end: the XenbusState handshake ({@link XenbusBackend}), then one
 * {@link BlkbackQueue} per ring. It offers its features; when the front-end has published its keys it validates
 * every one, maps the rings, binds the channels and publishes the disk's properties (spec §9.4).
 */
public final class Blkback implements AutoCloseable {
    /** VDISK_READONLY in the {@code info} node. */
    private static final int INFO_READONLY = 4;

    private final XenPlatform platform;
    private final VbdPaths paths;
    private final BlockEngine engine;
    private final BlkbackOptions options;
    private final XenObserver observer;
    private final XenBlkListener listener;
    private final XenbusBackend xenbus;
    private final List<BlkbackQueue> queues = new ArrayList<>();
    private BlkifProtocol protocol;

    public Blkback(XenPlatform platform, VbdPaths paths, BlockEngine engine, BlkbackOptions options,
                   XenObserver observer, XenBlkListener listener) {
        this.platform = platform;
        this.paths = paths;
        this.engine = engine;
        this.options = options;
        this.observer = observer;
        this.listener = listener;
        this.xenbus = new XenbusBackend(platform, paths.backend(), paths.frontend(), observer, new Device());
    }

    /** Publishes the features, writes InitWait and starts following the front-end's state. */
    public void start() {
        xenbus.start();
    }

    public XenbusState state() {
        return xenbus.state();
    }

    /** The protocol the front-end declared, once connected. */
    public synchronized Optional<BlkifProtocol> protocol() {
        return Optional.ofNullable(protocol);
    }

    public synchronized int queueCount() {
        return queues.size();
    }

    @Override
    public void close() {
        xenbus.close();
    }

    private final class Device implements XenbusBackend.Device {
        @Override
        public void publishFeatures(XenStore.Transaction t, String be) {
            t.write(be + "/feature-flush-cache", options.flush() ? "1" : "0");
            t.write(be + "/feature-barrier", options.barrier() ? "1" : "0");
            t.write(be + "/feature-discard", discards() ? "1" : "0");
            if (discards()) {
                t.write(be + "/discard-granularity", Integer.toString(options.sectorSize()));
                t.write(be + "/discard-alignment", "0");
                t.write(be + "/discard-secure", "0");
            }
            t.write(be + "/feature-persistent", options.persistentGrants() ? "1" : "0");
            if (options.maxIndirectSegments() > 0) {
                t.write(be + "/feature-max-indirect-segments", Integer.toString(options.maxIndirectSegments()));
            } else {
                t.remove(be + "/feature-max-indirect-segments");
            }
            t.write(be + "/max-ring-page-order", Integer.toString(options.maxRingPageOrder()));
            if (options.maxQueues() > 1) t.write(be + "/multi-queue-max-queues", Integer.toString(options.maxQueues()));
        }

        @Override
        public String connect(XenbusBackend.Keys keys) {
            int n = queueCount(keys);
            long order = keys.number("ring-page-order", 0);
            if (order > options.maxRingPageOrder()) {
                throw new FrontendRefusal("DRV-XBLK-010", "ring-page-order " + order + " above max-ring-page-order "
                        + options.maxRingPageOrder());
            }
            // Keys the layout does not use (a top-level ring-ref beside queue-N/, ring-ref beside ring-ref0) are
            // ignored, not refused: they may be left from an earlier connection. Whether this front-end wrote them
            // now is for the checks to judge (DRV-XBLK-009, DRV-XBLK-012).
            Optional<String> proto = keys.read("protocol");
            BlkifProtocol p = BlkifProtocol.of(proto).orElseThrow(
                    () -> new FrontendRefusal("DRV-XBLK-008", "unknown protocol " + proto.orElse("")));
            // Persistent grants when both ends asked for them; each ring keeps its own.
            boolean persistent = options.persistentGrants() && keys.number("feature-persistent", 0) == 1;
            List<BlkbackQueue> made = new ArrayList<>();
            try {
                for (int q = 0; q < n; q++) {
                    BlkifRequestHandler handler = new BlkifRequestHandler(engine, discards() ? options : options.withoutDiscard(),
                            platform.grants(), paths.frontendDomid(), observer,
                            persistent ? new PersistentGrants(platform.grants(), paths.frontendDomid()) : null);
                    String prefix = n > 1 ? "queue-" + q + "/" : "";
                    int[] refs = ringRefs(keys, prefix, (int) order);
                    int port = (int) keys.number(prefix + "event-channel", -1);
                    BlkbackQueue queue = new BlkbackQueue(q, mapRing(refs), p, handler, observer, listener);
                    made.add(queue);
                    try {
                        queue.bind(platform.events(), paths.frontendDomid(), port);
                    } catch (XenException e) {
                        throw new FrontendRefusal("DRV-XEN-004", "event-channel " + port + ": " + e.getMessage());
                    }
                }
            } catch (RuntimeException e) {
                made.forEach(BlkbackQueue::close);
                throw e;
            }
            // Held before anything else can fail, so that a failure from here on tears them down too.
            synchronized (Blkback.this) {
                queues.addAll(made);
                protocol = p;
            }
            publishDisk();
            return n + " queue(s) of " + (1 << order) + " page(s), protocol " + p.node() + (persistent ? ", persistent grants" : "");
        }

        @Override
        public void disconnect() {
            List<BlkbackQueue> stopping;
            synchronized (Blkback.this) {
                stopping = new ArrayList<>(queues);
                queues.clear();
            }
            stopping.forEach(BlkbackQueue::close);
        }
    }

    /** Discard is offered only when asked for and the engine can do it. */
    private boolean discards() {
        return options.discard() && engine.limits().discard() && engine.limits().maxDiscardSectors() > 0;
    }

    private int queueCount(XenbusBackend.Keys keys) {
        long n = keys.number("multi-queue-num-queues", 1);
        if (n < 1 || n > options.maxQueues()) {
            throw new FrontendRefusal("DRV-XBLK-011", "multi-queue-num-queues " + n + " outside 1.." + options.maxQueues());
        }
        return (int) n;
    }

    private static int[] ringRefs(XenbusBackend.Keys keys, String prefix, int order) {
        int pages = 1 << order;
        int[] refs = new int[pages];
        if (order == 0 && keys.read(prefix + "ring-ref").isPresent()) {
            refs[0] = (int) keys.number(prefix + "ring-ref", -1);
        } else {
            for (int i = 0; i < pages; i++) {
                String key = prefix + "ring-ref" + i;
                if (order > 0 && keys.read(key).isEmpty()) {
                    throw new FrontendRefusal("DRV-XBLK-015", key + " is missing for a ring of " + pages + " pages");
                }
                refs[i] = (int) keys.number(key, -1);
            }
        }
        // A ring in a toolstack grant (0 the console, 1 XenStore) would aim blkback at those pages.
        for (int ref : refs) {
            if (ref >= 0 && ref < BlkifRequestHandler.RESERVED_REFS) {
                throw new FrontendRefusal("DRV-XEN-013", "ring grant reference " + ref + " is one the toolstack reserves");
            }
        }
        return refs;
    }

    private GrantMapping mapRing(int[] refs) {
        try {
            return platform.grants().map(paths.frontendDomid(), refs, true);
        } catch (GrantException e) {
            observer.grantRefused(e.ref(), e.status(), true, "ring");
            throw new FrontendRefusal(e.status() == GrantStatus.PERMISSION_DENIED ? "DRV-XEN-003" : "DRV-XEN-008",
                    "ring " + e.getMessage());
        }
    }

    private void publishDisk() {
        String be = paths.backend();
        long sectors = engine.capacitySectors();
        platform.store().inTransaction(t -> {
            t.write(be + "/sectors", Long.toString(sectors));
            t.write(be + "/sector-size", Integer.toString(options.sectorSize()));
            t.write(be + "/physical-sector-size", Integer.toString(options.sectorSize()));
            t.write(be + "/info", Integer.toString(engine.readOnly() ? INFO_READONLY : 0));
        });
    }
}
