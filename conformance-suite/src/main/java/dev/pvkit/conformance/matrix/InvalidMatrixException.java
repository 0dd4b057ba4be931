package dev.pvkit.conformance.matrix;

/**
 * A matrix file, shard choice or set of shard reports that cannot be used: the message is one line naming the file,
 * field or directory and what is wrong, for the CLI to show as it is (exit 2).
 */
public final class InvalidMatrixException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidMatrixException(String message) {
        super(message);
    }

    public InvalidMatrixException(String message, Throwable cause) {
        super(message, cause);
    }
}
