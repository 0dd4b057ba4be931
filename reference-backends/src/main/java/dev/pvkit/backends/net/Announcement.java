package dev.pvkit.backends.net;

/**
 * The frames a host sends to tell its peers where it is, unasked (what a driver does when the device sets ANNOUNCE,
 * virtio 5.1.6.5.4): a gratuitous ARP (a request or reply whose sender and target addresses are the same), a RARP,
 * or an unsolicited IPv6 neighbour advertisement (ICMPv6 type 136 to a multicast address). An ordinary ARP request
 * for another host, or other IPv6 multicast, is not one.
 */
public final class Announcement {
    private Announcement() {
    }

    public static final int TYPE_RARP = 0x8035;
    public static final int TYPE_IPV6 = 0x86dd;
    private static final int ICMPV6 = 58;
    private static final int NEIGHBOUR_ADVERTISEMENT = 136;

    /** Whether {@code frame} (whole, or at least its headers) is an announcement; false for anything malformed. */
    public static boolean of(byte[] frame) {
        if (frame == null || frame.length < VirtioNet.ETH_HEADER) return false;
        int a = VirtioNet.ETH_HEADER;
        return switch (Ethernet.type(frame)) {
            case Ethernet.TYPE_ARP -> frame.length >= a + 28 && Ipv4.i32(frame, a + 14) == Ipv4.i32(frame, a + 24);
            case TYPE_RARP -> true;
            case TYPE_IPV6 -> Ethernet.isGroup(Ethernet.destination(frame)) && frame.length >= a + 41
                    && (frame[a + 6] & 0xff) == ICMPV6 && (frame[a + 40] & 0xff) == NEIGHBOUR_ADVERTISEMENT;
            default -> false;
        };
    }
}
