package dev.pvkit.sdk.vhostuser;

/**
 * A front-end message PVKit does not act on [BE-VU-008]. {@code framingLost} means the byte stream can no longer
 * be trusted (bad header, short read), so the only answer is closing the connection; otherwise the answer is a
 * failure status when REPLY_ACK allows one, else closing [BE-VU-009].
 */
public final class ProtocolViolation extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String request;
    private final String rule;
    private final String detail;
    private final boolean framingLost;

    public ProtocolViolation(String request, String rule, String detail, boolean framingLost) {
        super(request + ": " + rule + ": " + detail);
        this.request = request;
        this.rule = rule;
        this.detail = detail;
        this.framingLost = framingLost;
    }

    /** A message whose framing held but whose meaning broke {@code rule}: the answer may be a failure status. */
    static ProtocolViolation violation(Request r, String rule, String detail) {
        return new ProtocolViolation(r.name(), rule, detail, false);
    }

    /** The request's name, or {@code request <id>} for an unknown one. */
    public String request() {
        return request;
    }

    /** Which check failed, e.g. "payload size" or "queue index". */
    public String rule() {
        return rule;
    }

    /** What exactly was wrong, e.g. "5 bytes; 8 expected". */
    public String detail() {
        return detail;
    }

    public boolean framingLost() {
        return framingLost;
    }
}
