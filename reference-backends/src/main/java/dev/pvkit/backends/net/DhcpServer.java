package dev.pvkit.backends.net;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The least DHCP server (RFC 2131) a firmware or busybox client configures itself from: DISCOVER gets an OFFER,
 * REQUEST an ACK, of one address per client MAC from a small pool, with the subnet mask, the responder as router
 * and a one-hour lease. Replies are broadcast, which every client accepts before it has an address.
 */
final class DhcpServer {
    static final int SERVER_PORT = 67;
    static final int CLIENT_PORT = 68;
    private static final int MAGIC = 0x63825363;
    private static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5;

    private final int server;
    private final int prefix;
    private final int firstLease;
    private final Map<Long, Integer> leases = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger acked = new AtomicInteger();

    /** Serves addresses from {@code server}'s subnet ({@code prefix} bits), starting at host number 100. */
    DhcpServer(int server, int prefix) {
        this.server = server;
        this.prefix = prefix;
        this.firstLease = (server & mask()) | 100;
    }

    private int mask() {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** The reply to a client's message ({@code d} in frame {@code f}), or null when it needs none. */
    byte[] answer(byte[] f, Udp.Datagram d, long serverMac) {
        int at = d.dataAt();
        if (d.dataLength() < 240 || f[at] != 1 || Ipv4.i32(f, at + 236) != MAGIC) return null;
        int type = messageType(f, at + 240, at + d.dataLength());
        int reply = type == DISCOVER ? OFFER : type == REQUEST ? ACK : 0;
        if (reply == 0) return null;
        long client = Ethernet.mac(f, at + 28);
        int address = leases.computeIfAbsent(client, c -> firstLease + next.getAndIncrement());
        if (reply == ACK) acked.incrementAndGet();
        byte[] m = new byte[240];
        m[0] = 2; // BOOTREPLY
        m[1] = 1;
        m[2] = 6;
        System.arraycopy(f, at + 4, m, 4, 4);   // xid
        System.arraycopy(f, at + 10, m, 10, 2); // flags
        Ipv4.put32(m, 16, address);              // yiaddr
        Ipv4.put32(m, 20, server);               // siaddr
        System.arraycopy(f, at + 28, m, 28, 16); // chaddr
        Ipv4.put32(m, 236, MAGIC);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(m);
        option(o, 53, new byte[]{(byte) reply});
        option(o, 54, quad(server));
        option(o, 51, quad(3600));
        option(o, 1, quad(mask()));
        option(o, 3, quad(server));
        o.write(255);
        return Udp.frame(serverMac, Ethernet.BROADCAST, server, SERVER_PORT, -1, CLIENT_PORT, o.toByteArray());
    }

    /** How many REQUESTs were acknowledged: a client configured itself. */
    int acknowledged() {
        return acked.get();
    }

    /** The address leased to {@code mac}, or null. */
    Integer leaseOf(long mac) {
        return leases.get(mac);
    }

    private static int messageType(byte[] f, int at, int end) {
        while (at < end) {
            int code = f[at] & 0xff;
            if (code == 255) return 0;
            if (code == 0) {
                at++;
                continue;
            }
            if (at + 1 >= end) return 0;
            int len = f[at + 1] & 0xff;
            if (at + 2 + len > end) return 0;
            if (code == 53 && len == 1) return f[at + 2] & 0xff;
            at += 2 + len;
        }
        return 0;
    }

    private static void option(ByteArrayOutputStream o, int code, byte[] value) {
        o.write(code);
        o.write(value.length);
        o.writeBytes(value);
    }

    private static byte[] quad(int v) {
        byte[] b = new byte[4];
        Ipv4.put32(b, 0, v);
        return b;
    }
}
