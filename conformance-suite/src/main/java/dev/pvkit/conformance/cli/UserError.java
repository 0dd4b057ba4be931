package dev.pvkit.conformance.cli;

/** Something the user can fix (a missing file, a bad value): reported as one line and exit code 2. */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UserError(String message) {
        super(message);
    }
}
