package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.GrantStatus;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenNumbers;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.XenPlatform;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One virtual block device's back-end: the XenbusState handshake with its front-end (spec §9.8), then one
 * {@link BlkbackQueue} per ring. It publishes its features and writes InitWait; when the front-end is Initialised
 * (or Connected, having skipped a state) it reads the front-end's keys, validates every one, maps the rings,
 * binds the channels, publishes the disk's properties and writes Connected. When the front-end closes it tears
 * everything down before it writes Closed, and a front-end that starts again finds it waiting in InitWait.
 */
public final class Blkback implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Blkback.class);
    /** VDISK_READONLY in the {@code info} node. */
    private static final int INFO_READONLY = 4;

    private final XenPlatform platform;
    private final VbdPaths paths;
    private final BlockEngine engine;
    private final BlkbackOptions options;
    private final XenObserver observer;
    private final XenBlkListener listener;
    private final List<BlkbackQueue> queues = new ArrayList<>();
    private XenStore.Watch watch;
    private XenbusState state = XenbusState.UNKNOWN;
    private BlkifProtocol protocol;

    public Blkback(XenPlatform platform, VbdPaths paths, BlockEngine engine, BlkbackOptions options,
                   XenObserver observer, XenBlkListener listener) {
        this.platform = platform;
        this.paths = paths;
        this.engine = engine;
        this.options = options;
        this.observer = observer;
        this.listener = listener;
    }

    /** Publishes the features, writes InitWait [DEV-XEN-011] and starts following the front-end's state. */
    public synchronized void start() {
        publishFeatures();
        setState(XenbusState.INIT_WAIT);
        watch = platform.store().watch(paths.frontend() + "/state", path -> frontendChanged());
    }

    public synchronized XenbusState state() {
        return state;
    }

    /** The protocol the front-end declared, once connected. */
    public synchronized Optional<BlkifProtocol> protocol() {
        return Optional.ofNullable(protocol);
    }

    public synchronized int queueCount() {
        return queues.size();
    }

    private void publishFeatures() {
        String be = paths.backend();
        XenStore store = platform.store();
        store.inTransaction(t -> {
            t.write(be + "/feature-flush-cache", options.flush() ? "1" : "0");
            t.write(be + "/feature-barrier", options.barrier() ? "1" : "0");
            t.write(be + "/feature-discard", options.discard() ? "1" : "0");
            if (options.discard()) {
                t.write(be + "/discard-granularity", Integer.toString(options.sectorSize()));
                t.write(be + "/discard-alignment", "0");
                t.write(be + "/discard-secure", "0");
            }
            t.write(be + "/feature-persistent", "0");
            if (options.maxIndirectSegments() > 0) {
                t.write(be + "/feature-max-indirect-segments", Integer.toString(options.maxIndirectSegments()));
            } else {
                t.remove(be + "/feature-max-indirect-segments");
            }
            t.write(be + "/max-ring-page-order", Integer.toString(options.maxRingPageOrder()));
            if (options.maxQueues() > 1) t.write(be + "/multi-queue-max-queues", Integer.toString(options.maxQueues()));
        });
    }

    private synchronized void frontendChanged() {
        Optional<String> raw = platform.store().read(paths.frontend() + "/state");
        XenbusState fe = XenbusState.of(raw);
        observer.frontendState(fe, raw.orElse(null));
        switch (fe) {
            case INITIALISING, INIT_WAIT -> {
                if (state == XenbusState.CLOSED) {
                    publishFeatures();
                    setState(XenbusState.INIT_WAIT);
                }
            }
            case INITIALISED, CONNECTED -> {
                if (state == XenbusState.INIT_WAIT) connect();
            }
            case CLOSING, CLOSED, UNKNOWN -> {
                if (state != XenbusState.CLOSED) {
                    disconnect();
                    setState(XenbusState.CLOSED);
                }
            }
            default -> {
            }
        }
    }

    /** Reads the front-end's transport keys only now, after it said Initialised [DEV-XEN-012]. */
    private void connect() {
        try {
            int n = queueCount(read("multi-queue-num-queues"));
            int order = (int) number("ring-page-order", read("ring-page-order"), 0);
            if (order > options.maxRingPageOrder()) {
                throw new Refusal("DRV-XBLK-010", "ring-page-order " + order + " above max-ring-page-order " + options.maxRingPageOrder());
            }
            // Keys the layout does not use (a top-level ring-ref beside queue-N/, ring-ref beside ring-ref0) are
            // ignored, not refused: they may be left from an earlier connection. Whether this front-end wrote them
            // now is for the checks to judge from the observed writes (DRV-XBLK-009, DRV-XBLK-012).
            Optional<String> proto = read("protocol");
            protocol = BlkifProtocol.of(proto).orElseThrow(
                    () -> new Refusal("DRV-XBLK-008", "unknown protocol " + proto.orElse("")));
            BlkifRequestHandler handler = new BlkifRequestHandler(engine, options, platform.grants(),
                    paths.frontendDomid(), observer);
            for (int q = 0; q < n; q++) {
                String prefix = n > 1 ? "queue-" + q + "/" : "";
                int[] refs = ringRefs(prefix, order);
                int port = (int) number(prefix + "event-channel", read(prefix + "event-channel"), -1);
                GrantMapping ring;
                try {
                    ring = platform.grants().map(paths.frontendDomid(), refs, true);
                } catch (GrantException e) {
                    observer.grantRefused(e.ref(), e.status(), true, "ring");
                    throw new Refusal(e.status() == GrantStatus.PERMISSION_DENIED ? "DRV-XEN-003" : "DRV-XEN-008",
                            "ring " + e.getMessage());
                }
                BlkbackQueue queue = new BlkbackQueue(q, ring, protocol, handler, observer, listener);
                queues.add(queue);
                try {
                    queue.bind(platform.events(), paths.frontendDomid(), port);
                } catch (XenException e) {
                    throw new Refusal("DRV-XEN-004", "event-channel " + port + ": " + e.getMessage());
                }
            }
            publishDisk();
            setState(XenbusState.CONNECTED);
            LOG.info("vbd {}: connected, {} queue(s) of {} page(s), protocol {} [DEV-XEN-013]", paths.backend(), n,
                    1 << order, protocol.node());
        } catch (Refusal r) {
            LOG.warn("vbd {}: the front-end's keys are unusable: {} [{}]; closing", paths.backend(), r.getMessage(), r.requirement);
            observer.connectRefused(r.requirement, r.getMessage());
            disconnect();
            platform.store().write(paths.backend() + "/error", r.requirement + " " + r.getMessage());
            setState(XenbusState.CLOSING);
        }
    }

    private int queueCount(Optional<String> value) {
        if (value.isEmpty()) return 1;
        long n = number("multi-queue-num-queues", value, 1);
        if (n < 1 || n > options.maxQueues()) {
            throw new Refusal("DRV-XBLK-011", "multi-queue-num-queues " + n + " outside 1.." + options.maxQueues());
        }
        return (int) n;
    }

    private int[] ringRefs(String prefix, int order) {
        int pages = 1 << order;
        int[] refs = new int[pages];
        if (order == 0 && read(prefix + "ring-ref").isPresent()) {
            refs[0] = (int) number(prefix + "ring-ref", read(prefix + "ring-ref"), -1);
            reservedRefs(refs);
            return refs;
        }
        for (int i = 0; i < pages; i++) {
            String key = prefix + "ring-ref" + i;
            Optional<String> v = read(key);
            if (v.isEmpty() && order > 0) throw new Refusal("DRV-XBLK-015", key + " is missing for a ring of " + pages + " pages");
            refs[i] = (int) number(key, v, -1);
        }
        reservedRefs(refs);
        return refs;
    }

    /** A ring in a toolstack grant (0 the console, 1 XenStore) would let the front-end aim blkback at those pages. */
    private static void reservedRefs(int[] refs) {
        for (int ref : refs) {
            if (ref >= 0 && ref < BlkifRequestHandler.RESERVED_REFS) {
                throw new Refusal("DRV-XEN-013", "ring grant reference " + ref + " is one the toolstack reserves");
            }
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

    private Optional<String> read(String key) {
        Optional<String> v = platform.store().read(paths.frontend() + "/" + key);
        observer.frontendNode(key, v.orElse(null));
        return v;
    }

    /** A numeric node: decimal or refused [DRV-XEN-007]; absent gives {@code absent}, or is refused when that is −1. */
    private static long number(String key, Optional<String> value, long absent) {
        if (value.isEmpty()) {
            if (absent >= 0) return absent;
            throw new Refusal("DRV-XEN-008", key + " is missing");
        }
        OptionalLong n = XenNumbers.u32(value.get());
        if (n.isEmpty()) throw new Refusal("DRV-XEN-007", key + " = '" + value.get() + "' is not a decimal number");
        return n.getAsLong();
    }

    /** Stops every queue: channels closed, rings unmapped, before Closed is written [DEV-XEN-008]. */
    private void disconnect() {
        for (BlkbackQueue q : queues) q.close();
        queues.clear();
    }

    private void setState(XenbusState s) {
        state = s;
        // Recorded before the write: the front-end may answer the moment it sees the node.
        observer.backendState(s);
        platform.store().write(paths.backend() + "/state", s.text());
    }

    @Override
    public synchronized void close() {
        if (watch != null) watch.close();
        disconnect();
        if (state != XenbusState.CLOSED) setState(XenbusState.CLOSED);
    }

    /** A front-end key the back-end cannot connect with, and the requirement it breaks. */
    private static final class Refusal extends RuntimeException {
        final String requirement;

        Refusal(String requirement, String message) {
            super(message);
            this.requirement = requirement;
        }
    }
}
