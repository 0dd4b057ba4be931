package dev.pvkit.backends.net;

/** UDP datagrams inside IPv4 frames: reading the ports and building one with its checksum. */
public final class Udp {
    private Udp() {
    }

    /** A datagram's ports and where its data lies in the frame. */
    public record Datagram(int sourcePort, int destinationPort, int dataAt, int dataLength) {
    }

    /** The UDP datagram in {@code p} (a parsed packet of frame {@code f}), or null when it is none or malformed. */
    public static Datagram parse(byte[] f, Ipv4.Packet p) {
        if (p.protocol() != Ipv4.PROTO_UDP || p.payloadLength() < 8) return null;
        int at = p.payloadAt();
        int length = Ipv4.u16(f, at + 4);
        if (length < 8 || length > p.payloadLength()) return null;
        return new Datagram(Ipv4.u16(f, at), Ipv4.u16(f, at + 2), at + 8, length - 8);
    }

    /** A frame carrying {@code data} from {@code src}:{@code sport} to {@code dst}:{@code dport}. */
    public static byte[] frame(long macFrom, long macTo, int src, int sport, int dst, int dport, byte[] data) {
        byte[] u = new byte[8 + data.length];
        Ipv4.put16(u, 0, sport);
        Ipv4.put16(u, 2, dport);
        Ipv4.put16(u, 4, u.length);
        System.arraycopy(data, 0, u, 8, data.length);
        int sum = Ipv4.checksum(u, 0, u.length, Ipv4.pseudoSum(src, dst, Ipv4.PROTO_UDP, u.length));
        Ipv4.put16(u, 6, sum == 0 ? 0xffff : sum); // 0 means "no checksum" in UDP over IPv4
        return Ipv4.frame(macFrom, macTo, src, dst, Ipv4.PROTO_UDP, u);
    }
}
