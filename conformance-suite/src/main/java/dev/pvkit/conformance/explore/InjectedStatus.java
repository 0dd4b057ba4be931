package dev.pvkit.conformance.explore;

/** A failure status the device may answer a request with instead of serving it (virtio-blk status byte values). */
public enum InjectedStatus {
    /** VIRTIO_BLK_S_IOERR: the device could not do it. */
    IOERR(1),
    /** VIRTIO_BLK_S_UNSUPP: the device does not support it. */
    UNSUPP(2);

    private final int code;

    InjectedStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
