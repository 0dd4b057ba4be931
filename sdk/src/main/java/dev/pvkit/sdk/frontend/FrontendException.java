package dev.pvkit.sdk.frontend;

/** The back-end answered wrongly: a failure status, a closed connection, or a reply that does not fit. */
public final class FrontendException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public FrontendException(String message) {
        super(message);
    }
}
