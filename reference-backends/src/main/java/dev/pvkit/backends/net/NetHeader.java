package dev.pvkit.backends.net;

/**
 * One {@code virtio_net_hdr} as the 1.x layout has it (12 bytes, little-endian): what precedes every frame on the
 * transmit and the receive queue. Fields are unsigned and kept in ints.
 */
public record NetHeader(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset, int numBuffers) {

    /** The header of a received frame that needs nothing from the driver: checksums complete, no GSO. */
    public static NetHeader plain(int numBuffers) {
        return new NetHeader(0, VirtioNet.GSO_NONE, 0, 0, 0, 0, numBuffers);
    }

    /** Decodes the first {@link VirtioNet#HEADER_BYTES} bytes of {@code b}. */
    public static NetHeader decode(byte[] b) {
        if (b.length < VirtioNet.HEADER_BYTES) throw new IllegalArgumentException("a virtio_net_hdr is 12 bytes, got " + b.length);
        return new NetHeader(b[0] & 0xff, b[1] & 0xff, u16(b, 2), u16(b, 4), u16(b, 6), u16(b, 8), u16(b, 10));
    }

    public byte[] encode() {
        byte[] b = new byte[VirtioNet.HEADER_BYTES];
        b[0] = (byte) flags;
        b[1] = (byte) gsoType;
        put16(b, 2, hdrLen);
        put16(b, 4, gsoSize);
        put16(b, 6, csumStart);
        put16(b, 8, csumOffset);
        put16(b, 10, numBuffers);
        return b;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static void put16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }
}
