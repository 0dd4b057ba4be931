package dev.pvkit.backends.net;

/** Something plugged into an {@link EthernetSwitch}: a virtio-net device, the responder, a test's tap. */
public interface SwitchPort {

    /** A short name for logs, e.g. the socket's file name. */
    String name();

    /**
     * Takes a frame the switch sends this port. Called from any thread (the sending port's); must not block and must
     * not change {@code frame}, which flooding shares between ports.
     */
    void deliver(byte[] frame);

    /**
     * Takes a frame with what its sender left to the network. A port that takes no offloads, the default, gets it
     * segmented or with its checksum completed ({@link SwitchedFrame#plain}).
     */
    default void deliver(SwitchedFrame f) {
        for (byte[] plain : f.plain()) deliver(plain);
    }
}
