package dev.pvkit.sdk.xen;

/** A platform operation failed: XenStore unreachable, a hypercall refused, a library missing. */
public class XenException extends RuntimeException {
    public XenException(String message) {
        super(message);
    }

    public XenException(String message, Throwable cause) {
        super(message, cause);
    }
}
