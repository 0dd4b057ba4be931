package dev.pvkit.backends.net;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Automatic receive steering (virtio 1.x 5.1.6.5.5): remembers, for each flow, the queue pair the driver last
 * transmitted it on, so that the flow's incoming packets arrive on that pair's receive queue [DEV-NET-097].
 *
 * <p>A flow is an IP conversation: both addresses, the protocol and, for TCP and UDP, both ports, hashed so that a
 * packet and its reply give the same key. The table has a fixed number of slots indexed by that hash: a guest that
 * opens many flows overwrites slots (a collision steers a flow to another enabled queue, which the spec allows for
 * unknown flows [DEV-NET-098]) and never makes the table grow. Frames that are not IP have no flow.
 */
final class FlowSteering {
    private static final int SLOTS = 4096;
    private static final int TYPE_IPV6 = 0x86dd;
    private static final int PROTO_TCP = 6;

    /** Pair + 1 per slot; 0 for a slot no transmitted flow has used. */
    private final AtomicIntegerArray slots = new AtomicIntegerArray(SLOTS);

    /** The driver transmitted {@code frame} on {@code pair}. */
    void learn(byte[] frame, int pair) {
        int h = flowHash(frame);
        if (h != 0) slots.lazySet(h & (SLOTS - 1), pair + 1);
    }

    /** The pair {@code frame}'s flow was last transmitted on, or -1 when it has none or was never seen. */
    int pairFor(byte[] frame) {
        int h = flowHash(frame);
        return h == 0 ? -1 : slots.get(h & (SLOTS - 1)) - 1;
    }

    /** Forgets every flow (the device was reset). */
    void clear() {
        for (int i = 0; i < SLOTS; i++) slots.lazySet(i, 0);
    }

    /**
     * A hash that is the same for both directions of a flow, or 0 for a frame without one. Each endpoint (address and
     * port) is hashed alone and the two are combined with an order-independent operation.
     */
    static int flowHash(byte[] f) {
        if (f.length < VirtioNet.ETH_HEADER) return 0;
        int type = Ethernet.type(f);
        int l3 = VirtioNet.ETH_HEADER;
        int addrAt;
        int addrLen;
        int proto;
        int l4;
        if (type == Ethernet.TYPE_IPV4) {
            if (f.length < l3 + 20 || (f[l3] & 0xf0) != 0x40) return 0;
            addrAt = l3 + 12;
            addrLen = 4;
            proto = f[l3 + 9] & 0xff;
            boolean fragment = (Ipv4.u16(f, l3 + 6) & 0x3fff) != 0; // later fragments carry no ports
            l4 = fragment ? -1 : l3 + (f[l3] & 0x0f) * 4;
        } else if (type == TYPE_IPV6) {
            if (f.length < l3 + 40) return 0;
            addrAt = l3 + 8;
            addrLen = 16;
            proto = f[l3 + 6] & 0xff;
            l4 = l3 + 40;
        } else {
            return 0;
        }
        boolean ports = (proto == PROTO_TCP || proto == Ipv4.PROTO_UDP) && l4 > 0 && l4 + 4 <= f.length;
        int a = endpoint(f, addrAt, addrLen, ports ? Ipv4.u16(f, l4) : 0);
        int b = endpoint(f, addrAt + addrLen, addrLen, ports ? Ipv4.u16(f, l4 + 2) : 0);
        int h = (a ^ b) * 31 + (a + b) + proto;
        h ^= h >>> 16;
        return h == 0 ? 1 : h;
    }

    private static int endpoint(byte[] f, int at, int len, int port) {
        int h = port;
        for (int i = 0; i < len; i++) h = h * 0x01000193 ^ (f[at + i] & 0xff);
        return h * 0x9e3779b9;
    }
}
