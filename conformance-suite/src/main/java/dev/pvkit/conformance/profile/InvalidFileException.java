package dev.pvkit.conformance.profile;

/**
 * A profile or waiver file that cannot be used: missing, not YAML, an unknown or missing field, a bad value, an id
 * the specification lacks. The message is one line that names the file and the field or entry, for the CLI to show
 * as it is.
 */
public final class InvalidFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidFileException(String message) {
        super(message);
    }

    public InvalidFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
