package dev.pvkit.backends.net;

/** Reading the fields of an Ethernet II frame, MAC addresses as the low 48 bits of a long. */
public final class Ethernet {
    private Ethernet() {
    }

    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    public static long destination(byte[] frame) {
        return mac(frame, 0);
    }

    public static long source(byte[] frame) {
        return mac(frame, 6);
    }

    public static int type(byte[] frame) {
        return (frame[12] & 0xff) << 8 | frame[13] & 0xff;
    }

    /** Broadcast and multicast addresses have the group bit, the lowest bit of the first byte. */
    public static boolean isGroup(long mac) {
        return (mac >>> 40 & 1) != 0;
    }

    public static long mac(byte[] b, int at) {
        long m = 0;
        for (int i = 0; i < 6; i++) m = m << 8 | (b[at + i] & 0xff);
        return m;
    }

    public static void putMac(byte[] b, int at, long mac) {
        for (int i = 5; i >= 0; i--) {
            b[at + i] = (byte) mac;
            mac >>>= 8;
        }
    }

    /** {@code 52:54:00:12:34:56} to its long form; throws IllegalArgumentException for anything else. */
    public static long parseMac(String text) {
        String[] p = text.split(":");
        if (p.length != 6) throw new IllegalArgumentException("not a MAC address: " + text);
        long m = 0;
        for (String s : p) {
            if (!s.matches("[0-9a-fA-F]{2}")) throw new IllegalArgumentException("not a MAC address: " + text);
            m = m << 8 | Integer.parseInt(s, 16);
        }
        return m;
    }

    public static String formatMac(long mac) {
        StringBuilder b = new StringBuilder();
        for (int i = 5; i >= 0; i--) {
            if (b.length() > 0) b.append(':');
            b.append(String.format("%02x", mac >>> (8 * i) & 0xff));
        }
        return b.toString();
    }
}
