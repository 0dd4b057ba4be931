package dev.pvkit.sdk.vhostuser;

/** The shape of a message body, by which its exact size is checked (PVKit spec §10, layouts vhost_user_*). */
enum Payload {
    NONE(0),
    U64(8),
    VRING_STATE(8),
    VRING_ADDR(40),
    /** 8-byte header plus 32 bytes per region; the region count comes from the header. */
    MEM_TABLE(-1),
    LOG(16),
    /** 12-byte header plus {@code size} bytes of configuration. */
    CONFIG(-1),
    INFLIGHT(24),
    SINGLE_REGION(40);

    /** Fixed size in bytes, or -1 when the size depends on the body. */
    final int fixedSize;

    Payload(int fixedSize) {
        this.fixedSize = fixedSize;
    }
}
