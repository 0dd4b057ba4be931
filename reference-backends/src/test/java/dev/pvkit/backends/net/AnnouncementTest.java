package dev.pvkit.backends.net;

import org.junit.jupiter.api.Test;

import static dev.pvkit.backends.net.Frames.*;
import static org.assertj.core.api.Assertions.assertThat;

/** What counts as a host announcing itself (DRV-NET-084), and what only looks like it. */
class AnnouncementTest {
    @Test
    void aGratuitousArpAnnouncesAndAnArpForAnotherHostDoesNot() {
        assertThat(Announcement.of(Arp.request(GUEST_MAC, GUEST_IP, GUEST_IP))).isTrue();
        assertThat(Announcement.of(Arp.request(GUEST_MAC, GUEST_IP, RESPONDER_IP))).as("an ordinary ARP request").isFalse();
    }

    @Test
    void aRarpAndAnUnsolicitedNeighbourAdvertisementAnnounce() {
        byte[] rarp = Arp.request(GUEST_MAC, 0, 0);
        Ipv4.put16(rarp, 12, Announcement.TYPE_RARP);
        assertThat(Announcement.of(rarp)).isTrue();
        assertThat(Announcement.of(ipv6(0x3333_0000_0001L, 136))).as("NA to all nodes").isTrue();
        assertThat(Announcement.of(ipv6(0x3333_0000_0016L, 143))).as("an MLD report").isFalse();
        assertThat(Announcement.of(ipv6(RESPONDER_MAC, 136))).as("a solicited NA, unicast").isFalse();
    }

    @Test
    void anythingShortOrMalformedIsNone() {
        assertThat(Announcement.of(new byte[13])).isFalse();
        assertThat(Announcement.of(java.util.Arrays.copyOf(Arp.request(GUEST_MAC, GUEST_IP, GUEST_IP), 30))).isFalse();
        assertThat(Announcement.of(java.util.Arrays.copyOf(ipv6(0x3333_0000_0001L, 136), 50))).isFalse();
        assertThat(Announcement.of(null)).isFalse();
    }

    /** An IPv6 frame to {@code to} carrying ICMPv6 of {@code type} (no extension headers). */
    private static byte[] ipv6(long to, int type) {
        byte[] f = new byte[14 + 40 + 24];
        Ethernet.putMac(f, 0, to);
        Ethernet.putMac(f, 6, GUEST_MAC);
        Ipv4.put16(f, 12, Announcement.TYPE_IPV6);
        f[14] = 0x60;
        Ipv4.put16(f, 14 + 4, 24);
        f[14 + 6] = 58;
        f[14 + 7] = (byte) 255;
        f[14 + 40] = (byte) type;
        return f;
    }
}
