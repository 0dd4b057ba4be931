package dev.pvkit.backends.net;

import java.util.ArrayList;
import java.util.List;

/**
 * Software TCP segmentation: what a virtio-net device must do itself when a driver transmits one large TCP packet
 * (gso_type {@link VirtioNet#GSO_TCPV4} or {@link VirtioNet#GSO_TCPV6}) and the port it goes to did not negotiate
 * the matching GUEST_TSO feature, so it may only be handed packets of at most gso_size TCP payload each.
 *
 * <p>{@link #segment} cuts the packet into frames that each repeat the Ethernet, IP and TCP headers (options kept),
 * carry the next gso_size bytes of payload, and have their lengths, IPv4 identification, sequence number, flags and
 * checksums set as if the sender had sent them one by one. Whatever the driver left in the TCP checksum field (with
 * NEEDS_CSUM only a partial pseudo-header sum) is ignored: every checksum is computed from scratch.
 *
 * <p>Malformed input never throws. {@link #segment} returns an empty list for a packet it cannot segment, and
 * {@link #whyNot} (same arguments) says why in a few words, or returns null; the caller drops and counts the packet
 * and asks for the reason only when it wants to report it. Both read the frame through the same checks.
 *
 * <p>Only plain Ethernet II frames are handled: no VLAN tag, no IPv6 extension headers, no IPv4 fragments.
 */
public final class TcpSegmenter {
    private TcpSegmenter() {
    }

    private static final int PROTO_TCP = 6;
    private static final int TYPE_IPV6 = 0x86dd;
    private static final int IPV6_HEADER = 40;
    private static final int FIN = 0x01;
    private static final int PSH = 0x08;
    private static final int CWR = 0x80;

    /** Where the parts of a segmentable frame lie; {@code reason} is non-null when the frame is not segmentable. */
    private record Layout(String reason, boolean v6, int tcpAt, int payloadAt, int end) {
        static Layout no(String reason) {
            return new Layout(reason, false, 0, 0, 0);
        }
    }

    /**
     * The frames that carry {@code frame}'s TCP payload in pieces of at most {@code gsoSize} bytes, in order; one
     * frame (checksums completed) when the payload already fits; an empty list when {@link #whyNot} gives a reason.
     * {@code gsoType} may carry {@link VirtioNet#GSO_ECN}: CWR is kept on the first segment only in any case. The
     * input is not modified, and Ethernet padding after the IP packet is not copied into the segments.
     */
    public static List<byte[]> segment(byte[] frame, int gsoType, int gsoSize) {
        Layout l = layout(frame, gsoType, gsoSize);
        if (l.reason != null) return List.of();
        int headers = l.payloadAt;
        int payload = l.end - l.payloadAt;
        // Zero payload still yields one frame: the packet "fits" and only needs its checksums completed. (Rounding
        // up without payload + gsoSize - 1, which would overflow for a gsoSize near Integer.MAX_VALUE.)
        int count = Math.max(1, payload / gsoSize + (payload % gsoSize == 0 ? 0 : 1));
        List<byte[]> out = new ArrayList<>(count);
        int flags = frame[l.tcpAt + 13] & 0xff;
        int seq = Ipv4.i32(frame, l.tcpAt + 4);
        int id = Ipv4.u16(frame, Ipv4.AT + 4);
        for (int i = 0, sent = 0; i < count; i++) {
            int n = Math.min(gsoSize, payload - sent);
            byte[] s = new byte[headers + n];
            System.arraycopy(frame, 0, s, 0, headers);
            System.arraycopy(frame, l.payloadAt + sent, s, headers, n);
            int tcpLength = headers - l.tcpAt + n;
            long pseudo;
            if (l.v6) {
                Ipv4.put16(s, Ipv4.AT + 4, tcpLength); // no extension headers: the payload is exactly the TCP segment
                pseudo = pseudoSum6(s, Ipv4.AT, tcpLength);
            } else {
                Ipv4.put16(s, Ipv4.AT + 2, l.tcpAt - Ipv4.AT + tcpLength);
                // Each segment is a datagram of its own, so it needs an identification of its own; consecutive
                // values are what a sender sending them one by one would have used.
                Ipv4.put16(s, Ipv4.AT + 4, id + i);
                Ipv4.put16(s, Ipv4.AT + 10, 0);
                Ipv4.put16(s, Ipv4.AT + 10, Ipv4.checksum(s, Ipv4.AT, l.tcpAt - Ipv4.AT, 0));
                pseudo = Ipv4.pseudoSum(Ipv4.i32(s, Ipv4.AT + 12), Ipv4.i32(s, Ipv4.AT + 16), PROTO_TCP, tcpLength);
            }
            Ipv4.put32(s, l.tcpAt + 4, seq + sent); // int arithmetic wraps like the 32-bit sequence space
            int f = flags;
            // FIN and PSH belong to the end of the data, so only the last piece keeps them; CWR announces a
            // congestion-window reduction once, so only the first piece carries it (RFC 3168).
            if (i < count - 1) f &= ~(FIN | PSH);
            if (i > 0) f &= ~CWR;
            s[l.tcpAt + 13] = (byte) f;
            Ipv4.put16(s, l.tcpAt + 16, 0);
            Ipv4.put16(s, l.tcpAt + 16, Ipv4.checksum(s, l.tcpAt, tcpLength, pseudo));
            out.add(s);
            sent += n;
        }
        return out;
    }

    /** Null when {@link #segment} would segment {@code frame}, else a short reason why it returns nothing. */
    public static String whyNot(byte[] frame, int gsoType, int gsoSize) {
        return layout(frame, gsoType, gsoSize).reason;
    }

    /**
     * Checks every length before it is used as an index, so that no input can make {@link #segment} read past the
     * frame: the caller hands it whatever the driver put in guest memory.
     */
    private static Layout layout(byte[] f, int gsoType, int gsoSize) {
        if (f == null) return Layout.no("no frame");
        int type = gsoType & ~VirtioNet.GSO_ECN;
        if (type != VirtioNet.GSO_TCPV4 && type != VirtioNet.GSO_TCPV6) return Layout.no("gso_type " + gsoType + " is not TCPV4 or TCPV6");
        if (gsoSize < 1) return Layout.no("gso_size " + gsoSize + " is less than 1");
        if (f.length < Ipv4.AT) return Layout.no("frame of " + f.length + " bytes is shorter than an Ethernet header");
        boolean v6 = type == VirtioNet.GSO_TCPV6;
        int etherType = Ethernet.type(f);
        if (etherType != (v6 ? TYPE_IPV6 : Ethernet.TYPE_IPV4)) {
            return Layout.no(String.format("EtherType 0x%04x does not match gso_type %d", etherType, gsoType));
        }
        int tcpAt;
        int end;
        if (v6) {
            if (f.length < Ipv4.AT + IPV6_HEADER) return Layout.no("frame too short for an IPv6 header");
            if ((f[Ipv4.AT] & 0xff) >>> 4 != 6) return Layout.no("IP version is not 6");
            if ((f[Ipv4.AT + 6] & 0xff) != PROTO_TCP) return Layout.no("IPv6 next header " + (f[Ipv4.AT + 6] & 0xff) + " is not TCP");
            tcpAt = Ipv4.AT + IPV6_HEADER;
            end = tcpAt + Ipv4.u16(f, Ipv4.AT + 4);
        } else {
            if (f.length < Ipv4.AT + 20) return Layout.no("frame too short for an IPv4 header");
            int vihl = f[Ipv4.AT] & 0xff;
            if (vihl >>> 4 != 4) return Layout.no("IP version is not 4");
            int ihl = (vihl & 0xf) * 4;
            if (ihl < 20) return Layout.no("IPv4 header length " + ihl + " is less than 20");
            if (f.length < Ipv4.AT + ihl) return Layout.no("IPv4 header runs past the frame");
            // A fragment cannot be resegmented: its TCP header, if any, is in another fragment.
            if ((Ipv4.u16(f, Ipv4.AT + 6) & 0x3fff) != 0) return Layout.no("IPv4 fragment");
            if ((f[Ipv4.AT + 9] & 0xff) != PROTO_TCP) return Layout.no("IPv4 protocol " + (f[Ipv4.AT + 9] & 0xff) + " is not TCP");
            int total = Ipv4.u16(f, Ipv4.AT + 2);
            if (total < ihl) return Layout.no("IPv4 total length " + total + " is less than its header length " + ihl);
            tcpAt = Ipv4.AT + ihl;
            end = Ipv4.AT + total;
        }
        // The frame may be longer than the IP packet (Ethernet padding) but never shorter.
        if (end > f.length) return Layout.no("IP length says " + (end - Ipv4.AT) + " bytes but the frame holds " + (f.length - Ipv4.AT));
        if (end - tcpAt < 20) return Layout.no("IP payload too short for a TCP header");
        int thl = ((f[tcpAt + 12] & 0xff) >>> 4) * 4;
        if (thl < 20) return Layout.no("TCP data offset " + thl / 4 + " is less than 5");
        if (tcpAt + thl > end) return Layout.no("TCP header runs past the IP packet");
        return new Layout(null, v6, tcpAt, tcpAt + thl, end);
    }

    /** The TCP pseudo-header's sum over IPv6 (RFC 8200 section 8.1), for the IPv6 header at {@code ipAt} of {@code b}. */
    private static long pseudoSum6(byte[] b, int ipAt, int length) {
        long sum = PROTO_TCP + (length >>> 16) + (length & 0xffff);
        for (int i = 8; i < 40; i += 2) sum += Ipv4.u16(b, ipAt + i); // source then destination address
        return sum;
    }
}
