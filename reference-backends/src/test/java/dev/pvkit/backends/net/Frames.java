package dev.pvkit.backends.net;

import java.util.Arrays;

/** Frames a driver would send, for tests: ARP requests, ICMP echo requests, DHCP DISCOVER, with the transmit header. */
public final class Frames {
    private Frames() {
    }

    public static final long GUEST_MAC = 0x5254_0000_0001L;
    public static final int GUEST_IP = Ipv4.parse("10.0.2.15");
    public static final long RESPONDER_MAC = 0x0200_0000_00feL;
    public static final int RESPONDER_IP = Ipv4.parse("10.0.2.2");

    /** {@code frame} behind a 12-byte header of zeroes: what a driver that negotiated no offload transmits. */
    public static byte[] tx(byte[] frame) {
        return tx(new NetHeader(0, 0, 0, 0, 0, 0, 0), frame);
    }

    public static byte[] tx(NetHeader h, byte[] frame) {
        byte[] p = Arrays.copyOf(h.encode(), VirtioNet.HEADER_BYTES + frame.length);
        System.arraycopy(frame, 0, p, VirtioNet.HEADER_BYTES, frame.length);
        return p;
    }

    public static byte[] arpRequest(long mac, int ip, int target) {
        return Arp.request(mac, ip, target);
    }

    public static byte[] echoRequest(long from, long to, int src, int dst, int id, int seq, byte[] data) {
        byte[] icmp = new byte[8 + data.length];
        icmp[0] = 8;
        Ipv4.put16(icmp, 4, id);
        Ipv4.put16(icmp, 6, seq);
        System.arraycopy(data, 0, icmp, 8, data.length);
        Ipv4.put16(icmp, 2, Ipv4.checksum(icmp, 0, icmp.length, 0));
        return Ipv4.frame(from, to, src, dst, Ipv4.PROTO_ICMP, icmp);
    }

    public static byte[] dhcpDiscover(long mac, int xid) {
        byte[] m = new byte[244];
        m[0] = 1;
        m[1] = 1;
        m[2] = 6;
        Ipv4.put32(m, 4, xid);
        Ethernet.putMac(m, 28, mac);
        Ipv4.put32(m, 236, 0x63825363);
        m[240] = 53;
        m[241] = 1;
        m[242] = 1; // DISCOVER
        m[243] = (byte) 255;
        return Udp.frame(mac, Ethernet.BROADCAST, 0, 68, -1, 67, m);
    }

    /** The frame in a received packet: past the 12-byte header. */
    public static byte[] frameOf(byte[] packet) {
        return Arrays.copyOfRange(packet, VirtioNet.HEADER_BYTES, packet.length);
    }

    public static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + 3);
        return b;
    }
}
