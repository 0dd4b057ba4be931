package dev.pvkit.backends.blk;

/** The outcome of a block request; codes are virtio-blk's (spec group {@code virtio.blk.status}). */
public enum BlockStatus {
    OK(0),
    /** A device error, or a driver error such as a range past the end of the disk. */
    IOERR(1),
    /** The request is not supported (unknown type, feature not negotiated, reserved flags). */
    UNSUPP(2);

    private final int code;

    BlockStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
