package dev.pvkit.backends.net;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What one port moved and refused; readable from any thread. */
public final class NetCounters {
    final AtomicLong txFrames = new AtomicLong();
    final AtomicLong txDropped = new AtomicLong();
    final AtomicLong rxFrames = new AtomicLong();
    final AtomicLong rxBuffers = new AtomicLong();
    final AtomicLong rxDropped = new AtomicLong();
    final AtomicLong rxFiltered = new AtomicLong();
    final AtomicLong txSegmentation = new AtomicLong();
    final AtomicLong rxSegmentation = new AtomicLong();
    private final Map<String, LongAdder> findings = new ConcurrentHashMap<>();

    /** Counts a finding; returns true the first time its requirement (or "other") is seen, so that it is logged loudly once. */
    boolean found(NetFinding f) {
        String key = f.requirement() != null ? f.requirement() : "other";
        boolean[] first = {false};
        findings.computeIfAbsent(key, k -> {
            first[0] = true;
            return new LongAdder();
        }).increment();
        return first[0];
    }

    /** Frames the driver transmitted that were forwarded. */
    public long txFrames() {
        return txFrames.get();
    }

    /** Transmitted packets dropped for a finding. */
    public long txDropped() {
        return txDropped.get();
    }

    /** Frames delivered into receive buffers. */
    public long rxFrames() {
        return rxFrames.get();
    }

    /** Receive buffers used (more than frames when a frame spans mergeable buffers). */
    public long rxBuffers() {
        return rxBuffers.get();
    }

    /** Frames for this port dropped: no room while they waited, or a buffer too small. */
    public long rxDropped() {
        return rxDropped.get();
    }

    /** Transmitted segmentation (GSO) packets forwarded: the driver used HOST_TSO4/6. */
    public long txSegmentation() {
        return txSegmentation.get();
    }

    /** Segmentation (GSO) packets delivered whole into receive buffers: the driver took GUEST_TSO4/6. */
    public long rxSegmentation() {
        return rxSegmentation.get();
    }

    /** Frames for this port its receive filter refused (receive modes, MAC and VLAN tables the driver set). */
    public long rxFiltered() {
        return rxFiltered.get();
    }

    /** Transmit and control findings by requirement id ("other" for those that break none), in id order. */
    public Map<String, Long> findings() {
        Map<String, Long> m = new TreeMap<>();
        findings.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }
}
