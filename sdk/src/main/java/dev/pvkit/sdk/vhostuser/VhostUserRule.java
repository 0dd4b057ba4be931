package dev.pvkit.sdk.vhostuser;

/**
 * The rules a refused vhost-user message breaks, each tied to the PVKit requirement it stands for — what
 * {@link dev.pvkit.sdk.virtqueue.ChainRule} is for the rings. A {@link ProtocolViolation} carries one; the rejection
 * log line and {@link dev.pvkit.sdk.observe.BackendObserver#messageRejected(String, String, String, String, String)}
 * name both its short name and its requirement.
 *
 * <p>The requirement is the one whose statement the refused message breaks: usually a front-end requirement
 * (FE-VU: what a front-end must or must not send). Where no front-end requirement says it but a back-end one names
 * the refusal itself as the back-end's rule (BE-VU-008's list of malformed messages, BE-VU-058's unshrinkable
 * files), the back-end one. A few rules are checked on the front-end side, on replies a back-end sent; they name
 * the back-end requirement the reply breaks. Where the spec states no requirement the message breaks, the
 * requirement is {@code null} and the constant's comment says why: the rule is PVKit's own safety check (a message
 * it cannot act on without risking the back-end) and not yet a numbered requirement. Several constants share a short
 * name where one check serves requests whose rule the spec states separately ("descriptor count").
 */
public enum VhostUserRule {

    // ---------------------------------------------------------------- framing (header, descriptors, stream)

    /** A request header whose version (flags bits 0-1) is not 1. */
    HEADER_VERSION("header version", "FE-VU-001"),
    /** A reply header (read by a front-end) whose version is not 1. */
    REPLY_VERSION("header version", "BE-VU-001"),
    /** A request header with REPLY or a flag bit above NEED_REPLY set. */
    HEADER_FLAGS("header flags", "FE-VU-003"),
    /** A reply (read by a front-end) without the REPLY flag. */
    REPLY_WITHOUT_REPLY_FLAG("header flags", "BE-VU-002"),
    /**
     * A reply (read by a front-end) with flag bits other than version, REPLY and NEED_REPLY. No id: BE-VU-002 only
     * asks for REPLY; that a reply keeps the other bits clear is PVKit's reading by analogy with FE-VU-003, which the
     * spec states for requests only.
     */
    REPLY_FLAG_BITS("header flags", null),
    /**
     * A payload size that fits no request: the header's size beyond the largest payload PVKit reads, or a body
     * whose size is not the one its request calls for ("size not fitting the request", BE-VU-008). FE-VU-002 is not
     * it: there the header's size was honest about the bytes that followed.
     */
    PAYLOAD_SIZE("payload size", "BE-VU-008"),
    /**
     * Missing or surplus descriptors on a request whose count no front-end requirement states (SET_LOG_FD,
     * SET_BACKEND_REQ_FD, SET_INFLIGHT_FD, the requests that take none), or more than MAX_FDS on one message:
     * "missing or extra file descriptors" of BE-VU-008.
     */
    DESCRIPTOR_COUNT("descriptor count", "BE-VU-008"),
    /** SET_MEM_TABLE without exactly one descriptor per region. */
    MEM_TABLE_DESCRIPTORS("descriptor count", "FE-VU-015"),
    /** ADD_MEM_REG without exactly one descriptor. */
    ADD_MEM_REG_DESCRIPTORS("descriptor count", "FE-VU-017"),
    /** REM_MEM_REG with more than the one stray descriptor BE-VU-043 lets the back-end tolerate. */
    REM_MEM_REG_DESCRIPTORS("descriptor count", "FE-VU-018"),
    /** SET_LOG_BASE without its one log descriptor. */
    LOG_BASE_DESCRIPTORS("descriptor count", "FE-VU-019"),
    /** SET_VRING_KICK, _CALL or _ERR whose descriptor does not match bit 8 (one exactly when the bit is clear). */
    NOTIFIER_DESCRIPTORS("descriptor count", "FE-VU-022"),
    /**
     * The peer closed the connection inside a header. No id: no message arrived to break a rule, and a front-end
     * that cannot send a complete message is even asked to close (FE-VU-005).
     */
    SHORT_HEADER("short header", null),
    /** Reading the socket failed (a short payload, an I/O error). No id: the connection broke, not a rule. */
    CONNECTION("connection", null),

    // ---------------------------------------------------------------- requests and negotiation

    /** A request id PVKit does not know: "unknown request id" of BE-VU-008 (§10.2: ids not listed are rejected). */
    UNKNOWN_REQUEST("unknown request", "BE-VU-008"),
    /** A request whose gating protocol feature was not negotiated. */
    NOT_NEGOTIATED("not negotiated", "FE-VU-006"),
    /** SET_FEATURES with a bit the back-end did not offer. */
    FEATURES("features", "FE-VU-007"),
    /** SET_PROTOCOL_FEATURES with a bit the back-end did not offer. */
    PROTOCOL_FEATURES("protocol features", "FE-VU-007"),
    /**
     * A known request PVKit does not serve (a guard for requests added to {@link FrontendRequest} before their
     * {@link RequestTable} row). No id: the front-end broke nothing; the gap is PVKit's.
     */
    NOT_IMPLEMENTED("not implemented", null),

    // ---------------------------------------------------------------- configuration space

    /** A SET_CONFIG or GET_CONFIG body whose config size exceeds the 256 bytes of a virtio configuration space. No id: the spec bounds it nowhere. */
    CONFIG_SIZE("config size", null),
    /**
     * GET_CONFIG for a range outside the device's configuration space (answered with size 0, BE-VU-036). No id: no
     * front-end requirement keeps GET_CONFIG inside the space.
     */
    CONFIG_RANGE("config range", null),
    /**
     * SET_CONFIG the device refused: a write to read-only fields, which the back-end must not apply (BE-VU-038),
     * or a range outside the space. PVKit does not yet pass the flags to the device, so a live-migration write
     * (flags 1) is refused too.
     */
    CONFIG_WRITE("config write", "BE-VU-038"),

    // ---------------------------------------------------------------- rings

    /** A ring index at or above the queue count the back-end reported. */
    QUEUE_INDEX("queue index", "FE-VU-009"),
    /**
     * SET_VRING_NUM with a size of 0, above the device's maximum or (split) not a power of two. No id: the spec
     * states this for the driver (virtio), not for the front-end that forwards it.
     */
    QUEUE_SIZE("queue size", null),
    /** SET_VRING_NUM, _ADDR or _BASE for a started ring. No id: no front-end requirement asks to stop a ring first. */
    RING_RUNNING("ring running", null),
    /** SET_VRING_ENABLE with num neither 0 nor 1. No id: §10.2 defines only 0 and 1, no requirement forbids others. */
    ENABLE_VALUE("enable value", null),
    /** A ring started (kicked) before any memory table. No id: no requirement orders memory before rings. */
    NO_MEMORY("no memory", null),
    /** A ring started without its size or addresses. No id: no requirement orders these before the first kick. */
    RING_NOT_CONFIGURED("ring not configured", null),
    /**
     * A ring whose size and areas PVKit cannot set up (alignment, overlap, size). No id: the spec states the ring
     * layout rules for the driver (DRV-SPLIT, DRV-PACKED), not for the front-end.
     */
    RING_SET_UP("ring set-up", null),
    /**
     * A SET_VRING_ADDR area outside every region's user address range. No id: BE-VU-054 says how the back-end
     * translates; no front-end requirement keeps the addresses inside a region.
     */
    RING_ADDRESS("ring address", null),

    // ---------------------------------------------------------------- memory regions and shared files

    /** SET_MEM_TABLE with more than 8 regions (or none). */
    REGION_COUNT("region count", "FE-VU-016"),
    /** ADD_MEM_REG with every slot in use. No id: no front-end requirement bounds regions by GET_MAX_MEM_SLOTS. */
    MEMORY_SLOTS("memory slots", null),
    /** REM_MEM_REG for a region that is not mapped. No id: BE-VU-042 says what matches, not what to do without a match. */
    UNKNOWN_REGION("unknown region", null),
    /** A region that is empty or whose guest, user or file range wraps. No id: the spec states no such rule. */
    REGION_ARITHMETIC("region arithmetic", null),
    /** A region whose file is shorter than its mmap offset plus size. No id: the spec states no such rule. */
    REGION_BEYOND_FILE("region beyond file", null),
    /** A memory table (or added region) overlapping another region in guest or user addresses. No id: the spec states no such rule. */
    OVERLAPPING_REGIONS("overlapping regions", null),
    /** A dirty log that is empty or whose file range wraps. No id: the spec states no such rule. */
    LOG_ARITHMETIC("log arithmetic", null),
    /** A dirty log whose file is shorter than its mmap offset plus size. No id: the spec states no such rule. */
    LOG_BEYOND_FILE("log beyond file", null),
    /**
     * An inflight area that is empty, wraps, or is too small for its queues. No id: the spec states the layout
     * (§10.8), no requirement on its size.
     */
    INFLIGHT_ARITHMETIC("inflight arithmetic", null),
    /** An inflight area whose file is shorter than its mmap offset plus size. No id: the spec states no such rule. */
    INFLIGHT_BEYOND_FILE("inflight beyond file", null),
    /** GET/SET_INFLIGHT_FD for no queues, or for more or larger queues than the device has. No id: the spec states no such rule. */
    INFLIGHT_SHAPE("inflight shape", null),
    /** GET/SET_INFLIGHT_FD while rings are started. No id: the spec states no such rule. */
    RINGS_RUNNING("rings running", null),
    /** A shared file the kernel would not map. No id: the cause is the file (its type, its access), not a stated rule. */
    MAPPING("mapping", null),
    /**
     * A shared file (region, log, inflight area) that is not sealed against shrinking and cannot be sealed. The
     * rule is the back-end's own: it maps no file the front-end can still shrink ({@link UnsealedFiles}).
     */
    UNSEALED_FILE("unsealed file", "BE-VU-058");

    private final String ruleName;
    private final String requirement;

    VhostUserRule(String ruleName, String requirement) {
        this.ruleName = ruleName;
        this.requirement = requirement;
    }

    /** The short name log lines and observers show, e.g. "payload size" or "queue index". */
    public String ruleName() {
        return ruleName;
    }

    /** The spec requirement the refused message breaks, e.g. "FE-VU-009"; null where the spec states none. */
    public String requirement() {
        return requirement;
    }

    /** "queue index, FE-VU-009", or the short name alone where no requirement is known: how log lines cite it. */
    public String cited() {
        return requirement == null ? ruleName : ruleName + ", " + requirement;
    }
}
