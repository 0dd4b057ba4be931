package dev.pvkit.conformance.certify;

/**
 * A certification could not start or run because of its set-up, not because of the driver: a missing file, a
 * template without the device, a report directory that cannot be written. The message is one line saying what to
 * install or fix.
 */
public final class SetupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
        super(message);
    }

    public SetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
