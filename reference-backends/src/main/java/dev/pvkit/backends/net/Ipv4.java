package dev.pvkit.backends.net;

/**
 * IPv4 over Ethernet, as much as the responder needs: reading a packet's addresses and protocol, building one, and
 * the Internet checksum (RFC 1071). Addresses are ints in network order (10.0.2.2 is 0x0a000202).
 */
public final class Ipv4 {
    private Ipv4() {
    }

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_UDP = 17;
    /** Where the IPv4 header starts in an Ethernet frame. */
    public static final int AT = VirtioNet.ETH_HEADER;
    private static final java.util.concurrent.atomic.AtomicInteger NEXT_ID = new java.util.concurrent.atomic.AtomicInteger(1);

    /** A parsed IPv4 packet inside a frame: where its payload starts and how long it is. */
    public record Packet(int source, int destination, int protocol, int payloadAt, int payloadLength) {
    }

    /** The frame's IPv4 packet, or null when it is none or is malformed (bad lengths, fragments, bad checksum). */
    public static Packet parse(byte[] f) {
        if (f.length < AT + 20 || Ethernet.type(f) != Ethernet.TYPE_IPV4) return null;
        int vihl = f[AT] & 0xff;
        int ihl = (vihl & 0xf) * 4;
        if (vihl >>> 4 != 4 || ihl < 20 || f.length < AT + ihl) return null;
        int total = u16(f, AT + 2);
        if (total < ihl || AT + total > f.length) return null;
        if ((u16(f, AT + 6) & 0x3fff) != 0) return null; // a fragment: not reassembled here
        if (checksum(f, AT, ihl, 0) != 0) return null;
        return new Packet(i32(f, AT + 12), i32(f, AT + 16), f[AT + 9] & 0xff, AT + ihl, total - ihl);
    }

    /** A frame carrying {@code payload} from {@code src} to {@code dst}, with a 20-byte header and its checksum. */
    public static byte[] frame(long macFrom, long macTo, int src, int dst, int protocol, byte[] payload) {
        byte[] f = new byte[AT + 20 + payload.length];
        Ethernet.putMac(f, 0, macTo);
        Ethernet.putMac(f, 6, macFrom);
        put16(f, 12, Ethernet.TYPE_IPV4);
        f[AT] = 0x45;
        put16(f, AT + 2, 20 + payload.length);
        put16(f, AT + 4, NEXT_ID.getAndIncrement() & 0xffff); // identification: what tells one packet's fragments from another's
        f[AT + 8] = 64; // TTL
        f[AT + 9] = (byte) protocol;
        put32(f, AT + 12, src);
        put32(f, AT + 16, dst);
        put16(f, AT + 10, checksum(f, AT, 20, 0));
        System.arraycopy(payload, 0, f, AT + 20, payload.length);
        return f;
    }

    /**
     * {@code frame} as it may cross a link of {@code mtu}: itself when its IPv4 packet fits, else its fragments
     * (RFC 791), each with the packet's header (no options), its own length, offset and MF bit, and a new checksum.
     * A packet with DF set that does not fit is returned whole: the caller's link decides what to do with it.
     */
    public static java.util.List<byte[]> fragments(byte[] frame, int mtu) {
        if (frame.length - AT <= mtu || frame.length < AT + 20 || Ethernet.type(frame) != Ethernet.TYPE_IPV4) return java.util.List.of(frame);
        int ihl = (frame[AT] & 0xf) * 4;
        if ((u16(frame, AT + 6) & 0x4000) != 0 || ihl != 20) return java.util.List.of(frame);
        if (mtu < ihl + 8) throw new IllegalArgumentException("an MTU of " + mtu + " cannot carry a fragment");
        int payload = frame.length - AT - ihl;
        int chunk = (mtu - ihl) / 8 * 8;
        java.util.List<byte[]> out = new java.util.ArrayList<>();
        for (int off = 0; off < payload; off += chunk) {
            int n = Math.min(chunk, payload - off);
            byte[] f = new byte[AT + ihl + n];
            System.arraycopy(frame, 0, f, 0, AT + ihl);
            System.arraycopy(frame, AT + ihl + off, f, AT + ihl, n);
            put16(f, AT + 2, ihl + n);
            put16(f, AT + 6, (off + n < payload ? 0x2000 : 0) | off / 8);
            put16(f, AT + 10, 0);
            put16(f, AT + 10, checksum(f, AT, ihl, 0));
            out.add(f);
        }
        return out;
    }

    /** The ones'-complement of the ones'-complement sum of {@code len} bytes from {@code at}, started at {@code sum}. */
    public static int checksum(byte[] b, int at, int len, long sum) {
        int i = 0;
        for (; i + 1 < len; i += 2) sum += u16(b, at + i);
        if (i < len) sum += (b[at + i] & 0xff) << 8;
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    /** The UDP or TCP pseudo-header's sum, to start {@link #checksum} with. */
    public static long pseudoSum(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }

    public static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    public static int i32(byte[] b, int at) {
        return u16(b, at) << 16 | u16(b, at + 2);
    }

    public static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    public static void put32(byte[] b, int at, int v) {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    /** "10.0.2.2" to its int form; IllegalArgumentException for anything else. */
    public static int parse(String dotted) {
        String[] p = dotted.split("\\.");
        if (p.length != 4) throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        int a = 0;
        for (String s : p) {
            if (!s.matches("\\d{1,3}") || Integer.parseInt(s) > 255) throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            a = a << 8 | Integer.parseInt(s);
        }
        return a;
    }

    public static String format(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }
}
