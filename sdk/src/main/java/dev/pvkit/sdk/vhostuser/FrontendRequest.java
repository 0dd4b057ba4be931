package dev.pvkit.sdk.vhostuser;

import java.util.HashMap;
import java.util.Map;

/**
 * The front-end requests PVKit implements, as one table (PVKit spec §10.2): id, body shape, how many file
 * descriptors travel with it, whether it has a reply body of its own, and the protocol feature that gates it.
 * The policy is data: the connection enforces it in one place. Named for who sends it: a device completes a
 * {@link dev.pvkit.sdk.device.Request}, which is another thing.
 */
public enum FrontendRequest {
    GET_FEATURES(1, Payload.NONE, Fds.NONE, true, -1),
    SET_FEATURES(2, Payload.U64, Fds.NONE, false, -1),
    SET_OWNER(3, Payload.NONE, Fds.NONE, false, -1),
    RESET_OWNER(4, Payload.NONE, Fds.NONE, false, -1),
    SET_MEM_TABLE(5, Payload.MEM_TABLE, Fds.PER_REGION, false, -1),
    SET_LOG_BASE(6, Payload.LOG, Fds.ONE, true, ProtocolFeatures.LOG_SHMFD),
    SET_LOG_FD(7, Payload.NONE, Fds.ONE, false, -1),
    SET_VRING_NUM(8, Payload.VRING_STATE, Fds.NONE, false, -1),
    SET_VRING_ADDR(9, Payload.VRING_ADDR, Fds.NONE, false, -1),
    SET_VRING_BASE(10, Payload.VRING_STATE, Fds.NONE, false, -1),
    GET_VRING_BASE(11, Payload.VRING_STATE, Fds.NONE, true, -1),
    SET_VRING_KICK(12, Payload.U64, Fds.UNLESS_NOFD, false, -1),
    SET_VRING_CALL(13, Payload.U64, Fds.UNLESS_NOFD, false, -1),
    SET_VRING_ERR(14, Payload.U64, Fds.UNLESS_NOFD, false, -1),
    GET_PROTOCOL_FEATURES(15, Payload.NONE, Fds.NONE, true, -1),
    SET_PROTOCOL_FEATURES(16, Payload.U64, Fds.NONE, false, -1),
    GET_QUEUE_NUM(17, Payload.NONE, Fds.NONE, true, ProtocolFeatures.MQ),
    SET_VRING_ENABLE(18, Payload.VRING_STATE, Fds.NONE, false, -1),
    SET_BACKEND_REQ_FD(21, Payload.NONE, Fds.ONE, false, ProtocolFeatures.BACKEND_REQ),
    GET_CONFIG(24, Payload.CONFIG, Fds.NONE, true, ProtocolFeatures.CONFIG),
    SET_CONFIG(25, Payload.CONFIG, Fds.NONE, false, ProtocolFeatures.CONFIG),
    GET_INFLIGHT_FD(31, Payload.INFLIGHT, Fds.NONE, true, ProtocolFeatures.INFLIGHT_SHMFD),
    SET_INFLIGHT_FD(32, Payload.INFLIGHT, Fds.ONE, false, ProtocolFeatures.INFLIGHT_SHMFD),
    RESET_DEVICE(34, Payload.NONE, Fds.NONE, false, ProtocolFeatures.RESET_DEVICE),
    GET_MAX_MEM_SLOTS(36, Payload.NONE, Fds.NONE, true, ProtocolFeatures.CONFIGURE_MEM_SLOTS),
    ADD_MEM_REG(37, Payload.SINGLE_REGION, Fds.ONE, false, ProtocolFeatures.CONFIGURE_MEM_SLOTS),
    REM_MEM_REG(38, Payload.SINGLE_REGION, Fds.AT_MOST_ONE, false, ProtocolFeatures.CONFIGURE_MEM_SLOTS),
    SET_STATUS(39, Payload.U64, Fds.NONE, false, ProtocolFeatures.STATUS),
    GET_STATUS(40, Payload.NONE, Fds.NONE, true, ProtocolFeatures.STATUS);

    /** How many descriptors a request carries. */
    enum Fds { NONE, ONE, AT_MOST_ONE, PER_REGION, UNLESS_NOFD }

    final int id;
    final Payload payload;
    final Fds fds;
    /** True when the request has a reply body of its own (so REPLY_ACK never adds a second reply). */
    final boolean hasReply;
    /** Protocol feature bit that must be negotiated, or -1. */
    final int gate;

    FrontendRequest(int id, Payload payload, Fds fds, boolean hasReply, int gate) {
        this.id = id;
        this.payload = payload;
        this.fds = fds;
        this.hasReply = hasReply;
        this.gate = gate;
    }

    public int id() {
        return id;
    }

    private static final Map<Integer, FrontendRequest> BY_ID = new HashMap<>();

    static {
        for (FrontendRequest r : values()) BY_ID.put(r.id, r);
    }

    /** The request with wire id {@code id}, or null when PVKit does not implement it. */
    public static FrontendRequest of(int id) {
        return BY_ID.get(id);
    }
}
