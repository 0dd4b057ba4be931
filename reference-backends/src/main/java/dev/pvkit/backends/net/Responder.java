package dev.pvkit.backends.net;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A host on the switch that answers, so one guest can be exercised alone: ARP for its address, ICMP echo, UDP echo
 * on port 7, and DHCP (see {@link DhcpServer}). It answers on the thread that delivered the frame, through the switch.
 * Fragmented requests are put back together first ({@link Ipv4Reassembly}), and an answer larger than an MTU of
 * {@value #MTU} leaves in fragments.
 */
public final class Responder implements SwitchPort {
    public static final int ECHO_PORT = 7;

    private final EthernetSwitch sw;
    private final long mac;
    private final int address;
    private final DhcpServer dhcp;
    private final AtomicLong answered = new AtomicLong();
    /** A large ping arrives in fragments; its answer leaves in fragments of this link's MTU. */
    private final Ipv4Reassembly reassembly = new Ipv4Reassembly();
    static final int MTU = 1500;

    /** A responder at {@code address}/{@code prefix} with MAC {@code mac}, plugged into {@code sw}. */
    public Responder(EthernetSwitch sw, long mac, int address, int prefix) {
        if (prefix < 8 || prefix > 30) throw new IllegalArgumentException("prefix must be 8..30, got " + prefix);
        this.sw = sw;
        this.mac = mac;
        this.address = address;
        this.dhcp = new DhcpServer(address, prefix);
        sw.attach(this);
    }

    @Override
    public String name() {
        return "responder " + Ipv4.format(address);
    }

    public int address() {
        return address;
    }

    public long mac() {
        return mac;
    }

    /** Frames answered so far. */
    public long answered() {
        return answered.get();
    }

    /** DHCP REQUESTs acknowledged so far. */
    public int dhcpAcknowledged() {
        return dhcp.acknowledged();
    }

    @Override
    public void deliver(byte[] f) {
        if (Ipv4Reassembly.isFragment(f)) {
            f = reassembly.add(f);
            if (f == null) return; // more fragments to come
        }
        byte[] reply = answer(f);
        if (reply == null) return;
        answered.incrementAndGet();
        for (byte[] part : Ipv4.fragments(reply, MTU)) sw.forward(this, part);
    }

    private byte[] answer(byte[] f) {
        if (f.length < VirtioNet.ETH_HEADER) return null;
        if (Ethernet.type(f) == Ethernet.TYPE_ARP) return arp(f);
        Ipv4.Packet p = Ipv4.parse(f);
        if (p == null) return null;
        Udp.Datagram d = Udp.parse(f, p);
        if (d != null && d.destinationPort() == DhcpServer.SERVER_PORT) return dhcp.answer(f, d, mac);
        if (p.destination() != address) return null;
        if (p.protocol() == Ipv4.PROTO_ICMP) return echo(f, p);
        if (d != null && d.destinationPort() == ECHO_PORT) {
            return Udp.frame(mac, Ethernet.source(f), address, ECHO_PORT, p.source(), d.sourcePort(),
                    Arrays.copyOfRange(f, d.dataAt(), d.dataAt() + d.dataLength()));
        }
        return null;
    }

    /** An ARP request (Ethernet, IPv4) for this address: the reply saying where it is. */
    private byte[] arp(byte[] f) {
        int a = VirtioNet.ETH_HEADER;
        if (f.length < a + 28 || Ipv4.u16(f, a) != 1 || Ipv4.u16(f, a + 2) != Ethernet.TYPE_IPV4
                || f[a + 4] != 6 || f[a + 5] != 4 || Ipv4.u16(f, a + 6) != 1 || Ipv4.i32(f, a + 24) != address) {
            return null;
        }
        byte[] r = new byte[a + 28];
        Ethernet.putMac(r, 0, Ethernet.source(f));
        Ethernet.putMac(r, 6, mac);
        Ipv4.put16(r, 12, Ethernet.TYPE_ARP);
        System.arraycopy(f, a, r, a, 6); // hardware and protocol types and sizes
        Ipv4.put16(r, a + 6, 2);         // reply
        Ethernet.putMac(r, a + 8, mac);
        Ipv4.put32(r, a + 14, address);
        System.arraycopy(f, a + 8, r, a + 18, 10); // the asker's MAC and address become the target
        return r;
    }

    /** An ICMP echo request to this address: the echo reply with the same identifier, sequence and data. */
    private byte[] echo(byte[] f, Ipv4.Packet p) {
        int at = p.payloadAt();
        if (p.payloadLength() < 8 || f[at] != 8 || Ipv4.checksum(f, at, p.payloadLength(), 0) != 0) return null;
        byte[] icmp = Arrays.copyOfRange(f, at, at + p.payloadLength());
        icmp[0] = 0;
        icmp[2] = 0;
        icmp[3] = 0;
        Ipv4.put16(icmp, 2, Ipv4.checksum(icmp, 0, icmp.length, 0));
        return Ipv4.frame(mac, Ethernet.source(f), address, p.source(), Ipv4.PROTO_ICMP, icmp);
    }
}
