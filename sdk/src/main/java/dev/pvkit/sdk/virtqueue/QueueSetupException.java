package dev.pvkit.sdk.virtqueue;

/** A queue configuration that cannot be served: bad size, misaligned or out-of-memory ring areas. */
public final class QueueSetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueueSetupException(String message) {
        super(message);
    }
}
