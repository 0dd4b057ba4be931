package dev.pvkit.sdk.vhostuser;

/**
 * A front-end message PVKit does not act on [BE-VU-008]. {@code framingLost} means the byte stream can no longer
 * be trusted (bad header, short read), so the only answer is closing the connection; otherwise the answer is a
 * failure status when REPLY_ACK allows one, else closing [BE-VU-009]. The rule it broke is a {@link VhostUserRule},
 * which names the spec requirement behind it.
 */
public final class ProtocolViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String request;
    private final VhostUserRule rule;
    private final String detail;
    private final boolean framingLost;

    public ProtocolViolation(String request, VhostUserRule rule, String detail, boolean framingLost) {
        super(request + ": " + rule.ruleName() + ": " + detail);
        this.request = request;
        this.rule = rule;
        this.detail = detail;
        this.framingLost = framingLost;
    }

    /** A message whose framing held but whose meaning broke {@code rule}: the answer may be a failure status. */
    static ProtocolViolation violation(FrontendRequest r, VhostUserRule rule, String detail) {
        return new ProtocolViolation(r.name(), rule, detail, false);
    }

    /** The request's name, or {@code request <id>} for an unknown one. */
    public String request() {
        return request;
    }

    /** Which rule the message broke, with the spec requirement behind it. */
    public VhostUserRule rule() {
        return rule;
    }

    /** The rule's short name, e.g. "payload size" or "queue index". */
    public String ruleName() {
        return rule.ruleName();
    }

    /** The spec requirement the message broke, e.g. "FE-VU-009"; null where the spec states none. */
    public String requirement() {
        return rule.requirement();
    }

    /** What exactly was wrong, e.g. "5 bytes; 8 expected". */
    public String detail() {
        return detail;
    }

    public boolean framingLost() {
        return framingLost;
    }
}
