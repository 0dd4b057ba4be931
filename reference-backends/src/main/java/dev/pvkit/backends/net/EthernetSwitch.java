package dev.pvkit.backends.net;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A learning L2 switch: each {@link SwitchPort} is a port; a frame's source address is learnt for the port it came
 * from; a frame to a learnt unicast address goes to that port alone, anything else (broadcast, multicast, an address
 * not seen yet) to every other port. Thread-safe: ports forward from their own threads.
 */
public final class EthernetSwitch {
    private final List<SwitchPort> ports = new CopyOnWriteArrayList<>();
    private final Map<Long, SwitchPort> learnt = new ConcurrentHashMap<>();
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong flooded = new AtomicLong();

    public void attach(SwitchPort port) {
        ports.add(port);
    }

    /** Takes {@code port} off the switch, with every address learnt on it. */
    public void detach(SwitchPort port) {
        ports.remove(port);
        learnt.values().removeIf(p -> p == port);
    }

    /** Sends {@code frame}, which came in on {@code from}, on its way; frames shorter than an Ethernet header go nowhere. */
    public void forward(SwitchPort from, byte[] frame) {
        forward(from, frame, null);
    }

    /**
     * {@link #forward(SwitchPort, byte[])} for a frame whose sender left a checksum or segmentation to the network
     * ({@code offload}; null for none): each receiving port takes it as it can ({@link SwitchPort#deliver(SwitchedFrame)});
     * a flood segments it once for all the ports that need it segmented.
     */
    public void forward(SwitchPort from, byte[] frame, Offload offload) {
        if (frame.length < VirtioNet.ETH_HEADER) return;
        long src = Ethernet.source(frame);
        // Learnt once per move, not written per frame: the table is read far more often than it changes.
        if (!Ethernet.isGroup(src) && src != 0 && learnt.get(src) != from) learnt.put(src, from);
        long dst = Ethernet.destination(frame);
        SwitchedFrame switched = new SwitchedFrame(frame, offload);
        if (!Ethernet.isGroup(dst)) {
            SwitchPort to = learnt.get(dst);
            if (to != null) {
                if (to != from) {
                    to.deliver(switched);
                    forwarded.incrementAndGet();
                }
                return;
            }
        }
        flooded.incrementAndGet();
        for (SwitchPort p : ports) {
            if (p != from) p.deliver(switched);
        }
    }

    /** The port {@code mac} was learnt on, or null. */
    public SwitchPort portOf(long mac) {
        return learnt.get(mac);
    }

    public List<SwitchPort> ports() {
        return List.copyOf(ports);
    }

    /** Frames sent to one learnt port. */
    public long forwarded() {
        return forwarded.get();
    }

    /** Frames sent to every other port. */
    public long flooded() {
        return flooded.get();
    }
}
