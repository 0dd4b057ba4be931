package dev.pvkit.sdk.vhostuser;

/** vhost-user protocol feature bits (spec group {@code vhostuser.protocol_feature}) and the virtio bits vhost-user uses. */
public final class ProtocolFeatures {
    private ProtocolFeatures() {
    }

    public static final int MQ = 0;
    public static final int LOG_SHMFD = 1;
    public static final int REPLY_ACK = 3;
    public static final int BACKEND_REQ = 5;
    public static final int CONFIG = 9;
    public static final int INFLIGHT_SHMFD = 12;
    public static final int RESET_DEVICE = 13;
    public static final int CONFIGURE_MEM_SLOTS = 15;
    public static final int STATUS = 16;

    /** Virtio feature bit 30 in GET/SET_FEATURES: the back-end speaks GET/SET_PROTOCOL_FEATURES. */
    public static final int F_PROTOCOL_FEATURES = 30;
    /** Virtio feature bit 26: the front-end asks for dirty logging of every guest write. */
    public static final int F_LOG_ALL = 26;

    /** What PVKit back-ends offer (PVKit spec §10.2). */
    public static final long OFFERED = bits(MQ, LOG_SHMFD, REPLY_ACK, BACKEND_REQ, CONFIG, INFLIGHT_SHMFD, RESET_DEVICE,
            CONFIGURE_MEM_SLOTS, STATUS);

    public static long bits(int... features) {
        long v = 0;
        for (int f : features) v |= 1L << f;
        return v;
    }

    public static boolean has(long features, int bit) {
        return (features & (1L << bit)) != 0;
    }
}
