package dev.pvkit.backends.net;

/** ARP for IPv4 over Ethernet (RFC 826): the request a host broadcasts to find who has an address. */
public final class Arp {
    private Arp() {
    }

    /** Where the ARP message starts in a frame. */
    static final int AT = VirtioNet.ETH_HEADER;

    /** A broadcast "who has {@code target}? tell {@code ip}" from {@code mac}. */
    public static byte[] request(long mac, int ip, int target) {
        byte[] f = new byte[AT + 28];
        Ethernet.putMac(f, 0, Ethernet.BROADCAST);
        Ethernet.putMac(f, 6, mac);
        Ipv4.put16(f, 12, Ethernet.TYPE_ARP);
        Ipv4.put16(f, AT, 1);                    // hardware: Ethernet
        Ipv4.put16(f, AT + 2, Ethernet.TYPE_IPV4);
        f[AT + 4] = 6;
        f[AT + 5] = 4;
        Ipv4.put16(f, AT + 6, 1);                // request
        Ethernet.putMac(f, AT + 8, mac);
        Ipv4.put32(f, AT + 14, ip);
        Ipv4.put32(f, AT + 24, target);
        return f;
    }
}
