package dev.pvkit.backends.xennet;

/**
 * What netback offers (the back-end nodes of spec §9.5).
 *
 * @param maxQueues   {@code multi-queue-max-queues}; 1 offers no multi-queue
 * @param splitEvents {@code feature-split-event-channels}
 * @param gsoTcpv4    {@code feature-gso-tcpv4}: the front-end may hand over TCPv4 packets for segmentation
 */
public record NetbackOptions(int maxQueues, boolean splitEvents, boolean gsoTcpv4) {
    public NetbackOptions {
        if (maxQueues < 1 || maxQueues > 16) throw new IllegalArgumentException("1–16 queues");
    }

    public static NetbackOptions defaults() {
        return new NetbackOptions(4, true, false);
    }
}
