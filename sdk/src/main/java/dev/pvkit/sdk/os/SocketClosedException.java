package dev.pvkit.sdk.os;

/** A socket or server socket was closed, possibly by another thread while the call was waiting. */
public final class SocketClosedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SocketClosedException(String message) {
        super(message);
    }
}
