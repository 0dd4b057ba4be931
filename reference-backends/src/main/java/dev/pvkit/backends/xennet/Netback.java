package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.SwitchPort;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One vif's back-end: the XenbusState handshake ({@link XenbusBackend}), then a {@link NetbackQueue} per queue,
 * plugged into an {@link EthernetSwitch} as one port. Frames for the vif's MAC (and floods) go to the front-end on
 * queue 0's receive ring unless several queues are connected, in which case a hash of the Ethernet header picks the
 * queue, so one flow keeps its order.
 */
public final class Netback implements SwitchPort, AutoCloseable {
    private final XenPlatform platform;
    private final VifPaths paths;
    private final EthernetSwitch sw;
    private final NetbackOptions options;
    private final XenObserver observer;
    private final XenNetListener listener;
    private final XenbusBackend xenbus;
    private volatile List<NetbackQueue> active = List.of();

    public Netback(XenPlatform platform, VifPaths paths, EthernetSwitch sw, NetbackOptions options, XenObserver observer,
                   XenNetListener listener) {
        this.platform = platform;
        this.paths = paths;
        this.sw = sw;
        this.options = options;
        this.observer = observer;
        this.listener = listener;
        this.xenbus = new XenbusBackend(platform, paths.backend(), paths.frontend(), observer, new Device());
    }

    @Override
    public String name() {
        return "xen vif " + paths.frontendDomid() + "." + paths.devid();
    }

    /** Publishes the features, writes InitWait, joins the switch and follows the front-end. */
    public void start() {
        sw.attach(this);
        xenbus.start();
    }

    public XenbusState state() {
        return xenbus.state();
    }

    public int queueCount() {
        return active.size();
    }

    /** The MAC the toolstack gave the vif. */
    public long mac() {
        return platform.store().read(paths.backend() + "/mac").map(Ethernet::parseMac).orElse(0L);
    }

    /** A frame from the switch for this vif. */
    @Override
    public void deliver(byte[] frame) {
        List<NetbackQueue> qs = active;
        if (qs.isEmpty()) return;
        int q = qs.size() == 1 ? 0 : Math.floorMod(java.util.Arrays.hashCode(
                java.util.Arrays.copyOfRange(frame, 0, Math.min(frame.length, 14))), qs.size());
        qs.get(q).receive(frame);
    }

    @Override
    public void close() {
        sw.detach(this);
        xenbus.close();
    }

    private final class Device implements XenbusBackend.Device {
        @Override
        public void publishFeatures(XenStore.Transaction t, String be) {
            t.write(be + "/feature-sg", "1");
            t.write(be + "/feature-rx-copy", "1");
            t.write(be + "/feature-rx-flip", "0");
            t.write(be + "/feature-gso-tcpv4", options.gsoTcpv4() ? "1" : "0");
            t.write(be + "/feature-gso-tcpv6", "0");
            t.write(be + "/feature-split-event-channels", options.splitEvents() ? "1" : "0");
            t.write(be + "/feature-multicast-control", "0");
            t.write(be + "/feature-ctrl-ring", "0");
            if (options.maxQueues() > 1) t.write(be + "/multi-queue-max-queues", Integer.toString(options.maxQueues()));
        }

        @Override
        public String connect(XenbusBackend.Keys keys) {
            long n = keys.number("multi-queue-num-queues", 1);
            if (n < 1 || n > options.maxQueues()) {
                throw new FrontendRefusal(null, "multi-queue-num-queues " + n + " outside 1.." + options.maxQueues());
            }
            if (!keys.read("request-rx-copy").map("1"::equals).orElse(false)) {
                throw new FrontendRefusal(null, "request-rx-copy is not 1; netback copies received frames only");
            }
            List<NetbackQueue> made = new ArrayList<>();
            try {
                for (int q = 0; q < n; q++) made.add(queue(keys, q, n > 1 ? "queue-" + q + "/" : ""));
            } catch (RuntimeException e) {
                made.forEach(NetbackQueue::close);
                throw e;
            }
            active = List.copyOf(made);
            return n + " queue(s)";
        }

        private NetbackQueue queue(XenbusBackend.Keys keys, int q, String prefix) {
            int txRef = (int) keys.number(prefix + "tx-ring-ref", -1);
            int rxRef = (int) keys.number(prefix + "rx-ring-ref", -1);
            for (int ref : new int[]{txRef, rxRef}) {
                if (ref >= 0 && ref < 8) throw new FrontendRefusal("DRV-XEN-013", "ring grant reference " + ref + " is the toolstack's");
            }
            int txPort;
            int rxPort;
            if (keys.read(prefix + "event-channel").isPresent()) {
                txPort = rxPort = (int) keys.number(prefix + "event-channel", -1);
            } else {
                if (!options.splitEvents()) throw new FrontendRefusal("DRV-XEN-008", prefix + "event-channel is missing");
                txPort = (int) keys.number(prefix + "event-channel-tx", -1);
                rxPort = (int) keys.number(prefix + "event-channel-rx", -1);
            }
            GrantMapping txMap = mapRing(txRef);
            GrantMapping rxMap;
            try {
                rxMap = mapRing(rxRef);
            } catch (RuntimeException e) {
                txMap.close();
                throw e;
            }
            NetbackQueue queue = new NetbackQueue(q, paths.frontendDomid(), platform.grants(), txMap, rxMap, options,
                    (frame, offload) -> {
                        if (offload == null) sw.forward(Netback.this, frame);
                        else sw.forward(Netback.this, frame, offload);
                    }, observer, listener);
            try {
                queue.bind(platform.events(), txPort, rxPort);
            } catch (XenException e) {
                queue.close();
                throw new FrontendRefusal("DRV-XEN-004", "event channel " + txPort + "/" + rxPort + ": " + e.getMessage());
            }
            return queue;
        }

        @Override
        public void disconnect() {
            List<NetbackQueue> stopping = active;
            active = List.of();
            stopping.forEach(NetbackQueue::close);
        }
    }

    private GrantMapping mapRing(int ref) {
        try {
            return platform.grants().map(paths.frontendDomid(), new int[]{ref}, true);
        } catch (GrantException e) {
            observer.grantRefused(ref, e.status(), true, "ring");
            throw new FrontendRefusal(e.status() == GrantStatus.PERMISSION_DENIED ? "DRV-XEN-003" : "DRV-XEN-008",
                    "ring " + e.getMessage());
        }
    }
}
