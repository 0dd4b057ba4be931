package dev.pvkit.backends.net;

/** Constants of the virtio-net device (virtio 1.x section 5.1): its id, feature bits, header fields and config layout. */
public final class VirtioNet {
    private VirtioNet() {
    }

    public static final int DEVICE_ID = 1;

    // Feature bits (5.1.3).
    public static final int F_CSUM = 0;
    public static final int F_GUEST_CSUM = 1;
    public static final int F_CTRL_GUEST_OFFLOADS = 2;
    public static final int F_MTU = 3;
    public static final int F_MAC = 5;
    public static final int F_GUEST_TSO4 = 7;
    public static final int F_GUEST_TSO6 = 8;
    public static final int F_GUEST_ECN = 9;
    public static final int F_GUEST_UFO = 10;
    public static final int F_HOST_TSO4 = 11;
    public static final int F_HOST_TSO6 = 12;
    public static final int F_HOST_ECN = 13;
    public static final int F_HOST_UFO = 14;
    public static final int F_MRG_RXBUF = 15;
    public static final int F_STATUS = 16;
    public static final int F_CTRL_VQ = 17;
    public static final int F_CTRL_RX = 18;
    public static final int F_CTRL_VLAN = 19;
    public static final int F_CTRL_RX_EXTRA = 20;
    public static final int F_GUEST_ANNOUNCE = 21;
    public static final int F_MQ = 22;
    public static final int F_CTRL_MAC_ADDR = 23;
    public static final int F_DEVICE_STATS = 50;
    public static final int F_HASH_TUNNEL = 51;
    public static final int F_VQ_NOTF_COAL = 52;
    public static final int F_NOTF_COAL = 53;
    public static final int F_HOST_USO = 56;
    public static final int F_HASH_REPORT = 57;
    public static final int F_RSS = 60;

    // virtio_net_hdr (5.1.6): with VERSION_1 the header always carries num_buffers and is 12 bytes.
    public static final int HEADER_BYTES = 12;
    public static final int FLAG_NEEDS_CSUM = 1;
    public static final int FLAG_DATA_VALID = 2;
    public static final int FLAG_RSC_INFO = 4;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_UDP_L4 = 5;
    public static final int GSO_ECN = 0x80;

    // Configuration space (5.1.4).
    public static final int CFG_MAC = 0;
    public static final int CFG_STATUS = 6;
    public static final int CFG_MAX_VIRTQUEUE_PAIRS = 8;
    public static final int CFG_MTU = 10;
    public static final int CONFIG_BYTES = 12;
    public static final int STATUS_LINK_UP = 1;
    /** The device asks the driver to announce itself (GUEST_ANNOUNCE); the driver's ANNOUNCE_ACK clears it. */
    public static final int STATUS_ANNOUNCE = 2;

    /** Ethernet header bytes; a frame of MTU payload is at most MTU + this long (no VLAN tag). */
    public static final int ETH_HEADER = 14;
    /** The largest frame PVKit moves without segmentation: a jumbo frame. */
    public static final int MAX_FRAME = 9216 + ETH_HEADER;
    /** The largest segmentation (GSO) packet: a 64 KiB IP packet behind an Ethernet header and a VLAN tag. */
    public static final int MAX_GSO_FRAME = 65535 + ETH_HEADER + 4;

    public static final int RX = 0;
    public static final int TX = 1;
}
