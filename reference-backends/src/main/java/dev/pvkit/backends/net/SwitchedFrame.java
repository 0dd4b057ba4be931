package dev.pvkit.backends.net;

import java.util.List;

/**
 * A frame on its way through an {@link EthernetSwitch}, with what its sender left to the network ({@link Offload};
 * null for nothing). Its plain form, the segments or the frame with its checksum completed ({@link Offload#plain}),
 * is made at most once, however many ports of a flood need it. Neither the frame nor the plain frames may be
 * changed: every port of a flood shares them.
 */
public final class SwitchedFrame {
    private final byte[] frame;
    private final Offload offload;
    private List<byte[]> plain;

    public SwitchedFrame(byte[] frame, Offload offload) {
        this.frame = frame;
        this.offload = offload;
    }

    public byte[] frame() {
        return frame;
    }

    /** What the sender left to the network, or null. */
    public Offload offload() {
        return offload;
    }

    /**
     * The frame as a port without offloads takes it: itself when nothing was left to do, else segmented or with its
     * checksum completed; empty when it cannot be segmented. Made on first use (a port may hand the frame on to
     * another thread, hence the lock).
     */
    public synchronized List<byte[]> plain() {
        if (plain == null) plain = Offload.plain(frame, offload);
        return plain;
    }
}
