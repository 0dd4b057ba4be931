package dev.pvkit.conformance.guest;

import java.util.Map;

/**
 * A guest network interface as the agent's NETINFO (or NETUP) describes it: its MAC and MTU, the virtio device and
 * driver behind it, receive queues, packet counters, whether the driver sees the link up ({@code carrier} 1 or 0; -1
 * when unknown, as while the interface is down) and the negotiated virtio features (64 characters 0/1, bit 0 first;
 * empty when unknown).
 */
public record NetInfo(String mac, int mtu, String device, String driver, int queues, long rxPackets, long txPackets, int carrier,
                      String features) {

    static NetInfo parse(Map<String, String> f) {
        return new NetInfo(f.get("mac"), Integer.parseInt(f.get("mtu")), f.get("device"), f.get("driver"),
                Integer.parseInt(f.getOrDefault("queues", "0")), Long.parseLong(f.get("rx")), Long.parseLong(f.get("tx")),
                f.getOrDefault("carrier", "-").matches("[01]") ? Integer.parseInt(f.get("carrier")) : -1,
                f.getOrDefault("features", "-").equals("-") ? "" : f.get("features"));
    }

    /** Whether the driver negotiated feature {@code bit}. */
    public boolean hasFeature(int bit) {
        return bit < features.length() && features.charAt(bit) == '1';
    }
}
