package dev.pvkit.backends.net;

import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * IPv4 fragments put back together (RFC 791 §3.2), for the responder: a guest's large ping arrives as a burst of
 * fragments. Bounded, since a guest can send any fragments at all: at most {@link #MAX_PACKETS} packets in progress
 * (the oldest is given up for a new one), each at most 64 KiB, each given up {@link #TIMEOUT_NANOS} after its first
 * fragment. Fragments may come in any order and more than once; overlapping bytes are taken from the latest.
 * Thread-safe: frames are delivered from every port's worker.
 */
public final class Ipv4Reassembly {
    static final int MAX_PACKETS = 16;
    static final long TIMEOUT_NANOS = 5_000_000_000L;
    private static final int AT = Ipv4.AT;
    private static final int MAX_PAYLOAD = 65535 - 20;

    private record Key(int source, int destination, int protocol, int id) {
    }

    private static final class Partial {
        final long started = System.nanoTime();
        final byte[] data = new byte[MAX_PAYLOAD];
        final BitSet have = new BitSet();
        /** The first fragment's Ethernet and IPv4 headers, once it came. */
        byte[] head;
        /** The payload's length, once the last fragment came; else -1. */
        int length = -1;
    }

    private final Map<Key, Partial> partials = new LinkedHashMap<>();

    /** Whether {@code f} is an IPv4 fragment (more fragments follow, or it does not start at offset 0). */
    public static boolean isFragment(byte[] f) {
        return f.length >= AT + 20 && Ethernet.type(f) == Ethernet.TYPE_IPV4 && (Ipv4.u16(f, AT + 6) & 0x3fff) != 0;
    }

    /**
     * Takes fragment {@code f}: the whole packet as one frame (no fragment bits, its header checksum new) once every
     * byte has come, else null. A malformed fragment is dropped.
     */
    public synchronized byte[] add(byte[] f) {
        int ihl = (f[AT] & 0xf) * 4;
        if ((f[AT] & 0xff) >>> 4 != 4 || ihl < 20 || f.length < AT + ihl) return null;
        int total = Ipv4.u16(f, AT + 2);
        if (total < ihl || AT + total > f.length || Ipv4.checksum(f, AT, ihl, 0) != 0) return null;
        int flags = Ipv4.u16(f, AT + 6);
        int offset = (flags & 0x1fff) * 8;
        boolean more = (flags & 0x2000) != 0;
        int length = total - ihl;
        if (offset + length > MAX_PAYLOAD || (more && length % 8 != 0)) return null;
        expire();
        Key key = new Key(Ipv4.i32(f, AT + 12), Ipv4.i32(f, AT + 16), f[AT + 9] & 0xff, Ipv4.u16(f, AT + 4));
        Partial p = partials.get(key);
        if (p == null) {
            if (partials.size() >= MAX_PACKETS) {
                Iterator<Key> oldest = partials.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            p = new Partial();
            partials.put(key, p);
        }
        System.arraycopy(f, AT + ihl, p.data, offset, length);
        p.have.set(offset, offset + length);
        if (offset == 0) p.head = java.util.Arrays.copyOf(f, AT + ihl);
        if (!more) p.length = offset + length;
        if (p.head == null || p.length < 0 || p.have.nextClearBit(0) < p.length) return null;
        partials.remove(key);
        int headBytes = p.head.length;
        if (headBytes - AT + p.length > 65535) return null; // options in the first header left no room: no such packet
        byte[] whole = new byte[headBytes + p.length];
        System.arraycopy(p.head, 0, whole, 0, headBytes);
        System.arraycopy(p.data, 0, whole, headBytes, p.length);
        Ipv4.put16(whole, AT + 2, headBytes - AT + p.length);
        Ipv4.put16(whole, AT + 6, Ipv4.u16(whole, AT + 6) & 0x4000); // keep DF, drop MF and the offset
        Ipv4.put16(whole, AT + 10, 0);
        Ipv4.put16(whole, AT + 10, Ipv4.checksum(whole, AT, headBytes - AT, 0));
        return whole;
    }

    /** Packets in progress (for tests). */
    synchronized int inProgress() {
        expire();
        return partials.size();
    }

    private void expire() {
        long now = System.nanoTime();
        partials.values().removeIf(p -> now - p.started > TIMEOUT_NANOS);
    }
}
