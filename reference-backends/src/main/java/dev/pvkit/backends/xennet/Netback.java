package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.SwitchPort;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapping;
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
 * One vif's back-end: the XenbusState handshake (spec §9.8), then a {@link NetbackQueue} per queue, plugged into
 * an {@link EthernetSwitch} as one port. Frames for the vif's MAC (and floods) go to the front-end on queue 0's
 * receive ring unless several queues are connected, in which case a flow hash picks the queue.
 */
public final class Netback implements SwitchPort, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Netback.class);

    private final XenPlatform platform;
    private final VifPaths paths;
    private final EthernetSwitch sw;
    private final NetbackOptions options;
    private final XenObserver observer;
    private final XenNetListener listener;
    private final List<NetbackQueue> queues = new ArrayList<>();
    private volatile List<NetbackQueue> active = List.of();
    private XenStore.Watch watch;
    private XenbusState state = XenbusState.UNKNOWN;

    public Netback(XenPlatform platform, VifPaths paths, EthernetSwitch sw, NetbackOptions options, XenObserver observer,
                   XenNetListener listener) {
        this.platform = platform;
        this.paths = paths;
        this.sw = sw;
        this.options = options;
        this.observer = observer;
        this.listener = listener;
    }

    @Override
    public String name() {
        return "xen vif " + paths.frontendDomid() + "." + paths.devid();
    }

    /** Publishes the features, writes InitWait [DEV-XEN-011], joins the switch and follows the front-end. */
    public synchronized void start() {
        publishFeatures();
        setState(XenbusState.INIT_WAIT);
        sw.attach(this);
        watch = platform.store().watch(paths.frontend() + "/state", p -> frontendChanged());
    }

    public synchronized XenbusState state() {
        return state;
    }

    public synchronized int queueCount() {
        return queues.size();
    }

    private void publishFeatures() {
        String be = paths.backend();
        platform.store().inTransaction(t -> {
            t.write(be + "/feature-sg", "1");
            t.write(be + "/feature-rx-copy", "1");
            t.write(be + "/feature-rx-flip", "0");
            t.write(be + "/feature-gso-tcpv4", options.gsoTcpv4() ? "1" : "0");
            t.write(be + "/feature-gso-tcpv6", "0");
            t.write(be + "/feature-split-event-channels", options.splitEvents() ? "1" : "0");
            t.write(be + "/feature-multicast-control", "0");
            t.write(be + "/feature-ctrl-ring", "0");
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
            // Linux's netfront skips Initialised: it publishes its keys and says Connected at once.
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

    private void connect() {
        try {
            int n = 1;
            Optional<String> mq = read("multi-queue-num-queues");
            if (mq.isPresent()) {
                n = (int) number("multi-queue-num-queues", mq);
                if (n < 1 || n > options.maxQueues()) {
                    throw new Refusal("DRV-XEN-008", "multi-queue-num-queues " + n + " outside 1.." + options.maxQueues());
                }
            }
            if (!read("request-rx-copy").map("1"::equals).orElse(false)) {
                throw new Refusal("DRV-XEN-008", "request-rx-copy is not 1; netback copies received frames only");
            }
            for (int q = 0; q < n; q++) {
                String prefix = n > 1 ? "queue-" + q + "/" : "";
                int txRef = (int) number(prefix + "tx-ring-ref", read(prefix + "tx-ring-ref"));
                int rxRef = (int) number(prefix + "rx-ring-ref", read(prefix + "rx-ring-ref"));
                for (int ref : new int[]{txRef, rxRef}) {
                    if (ref >= 0 && ref < 8) throw new Refusal("DRV-XEN-013", "ring grant reference " + ref + " is the toolstack's");
                }
                int txPort;
                int rxPort;
                Optional<String> single = read(prefix + "event-channel");
                if (single.isPresent()) {
                    txPort = rxPort = (int) number(prefix + "event-channel", single);
                } else {
                    if (!options.splitEvents()) throw new Refusal("DRV-XEN-008", prefix + "event-channel is missing");
                    txPort = (int) number(prefix + "event-channel-tx", read(prefix + "event-channel-tx"));
                    rxPort = (int) number(prefix + "event-channel-rx", read(prefix + "event-channel-rx"));
                }
                GrantMapping txMap = mapRing(txRef);
                GrantMapping rxMap;
                try {
                    rxMap = mapRing(rxRef);
                } catch (Refusal r) {
                    txMap.close();
                    throw r;
                }
                NetbackQueue queue = new NetbackQueue(q, paths.frontendDomid(), platform.grants(), txMap, rxMap, options,
                        frame -> sw.forward(this, frame), observer, listener);
                queues.add(queue);
                try {
                    queue.bind(platform.events(), txPort, rxPort);
                } catch (XenException e) {
                    throw new Refusal("DRV-XEN-004", "event channel " + txPort + "/" + rxPort + ": " + e.getMessage());
                }
            }
            active = List.copyOf(queues);
            setState(XenbusState.CONNECTED);
            LOG.info("vif {}: connected, {} queue(s) [DEV-XEN-013]", paths.backend(), n);
        } catch (Refusal r) {
            LOG.warn("vif {}: the front-end's keys are unusable: {} [{}]; closing", paths.backend(), r.getMessage(), r.requirement);
            observer.connectRefused(r.requirement, r.getMessage());
            disconnect();
            platform.store().write(paths.backend() + "/error", r.requirement + " " + r.getMessage());
            setState(XenbusState.CLOSING);
        }
    }

    private GrantMapping mapRing(int ref) {
        try {
            return platform.grants().map(paths.frontendDomid(), new int[]{ref}, true);
        } catch (GrantException e) {
            observer.grantRefused(ref, e.status(), true, "ring");
            throw new Refusal(e.status() == dev.pvkit.sdk.xen.GrantStatus.PERMISSION_DENIED ? "DRV-XEN-003" : "DRV-XEN-008",
                    "ring " + e.getMessage());
        }
    }

    /** A frame from the switch for this vif: its queue by flow, so one flow keeps its order. */
    @Override
    public void deliver(byte[] frame) {
        List<NetbackQueue> qs = active;
        if (qs.isEmpty()) return;
        int q = qs.size() == 1 ? 0 : Math.floorMod(java.util.Arrays.hashCode(
                java.util.Arrays.copyOfRange(frame, 0, Math.min(frame.length, 14))), qs.size());
        qs.get(q).receive(frame);
    }

    private Optional<String> read(String key) {
        Optional<String> v = platform.store().read(paths.frontend() + "/" + key);
        observer.frontendNode(key, v.orElse(null));
        return v;
    }

    private static long number(String key, Optional<String> value) {
        if (value.isEmpty()) throw new Refusal("DRV-XEN-008", key + " is missing");
        OptionalLong n = XenNumbers.u32(value.get());
        if (n.isEmpty()) throw new Refusal("DRV-XEN-007", key + " = '" + value.get() + "' is not a decimal number");
        return n.getAsLong();
    }

    private void disconnect() {
        active = List.of();
        for (NetbackQueue q : queues) q.close();
        queues.clear();
    }

    private void setState(XenbusState s) {
        state = s;
        observer.backendState(s);
        platform.store().write(paths.backend() + "/state", s.text());
    }

    /** The MAC the toolstack gave the vif. */
    public long mac() {
        return platform.store().read(paths.backend() + "/mac").map(Ethernet::parseMac).orElse(0L);
    }

    @Override
    public synchronized void close() {
        if (watch != null) watch.close();
        sw.detach(this);
        disconnect();
        if (state != XenbusState.CLOSED) setState(XenbusState.CLOSED);
    }

    private static final class Refusal extends RuntimeException {
        final String requirement;

        Refusal(String requirement, String message) {
            super(message);
            this.requirement = requirement;
        }
    }
}
