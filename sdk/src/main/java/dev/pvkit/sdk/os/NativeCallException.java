package dev.pvkit.sdk.os;

/** A system call failed; the message names the call, its arguments that matter, and errno's meaning. */
public final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public NativeCallException(String call, int errno, String detail) {
        super(call + " failed: " + describe(errno) + (detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.errno = errno;
    }

    /** The failing call, e.g. {@code mmap}. */
    public String call() {
        return call;
    }

    /** errno as the kernel returned it. */
    public int errno() {
        return errno;
    }

    private static String describe(int errno) {
        String text;
        try {
            text = LibC.strerror(errno);
        } catch (RuntimeException | LinkageError e) {
            text = null;
        }
        return "errno " + errno + (text == null ? "" : " " + text);
    }
}
