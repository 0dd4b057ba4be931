package dev.pvkit.backends.net;

/**
 * What a {@link VirtioNetDevice} saw its driver do, for observers such as PVKit's conformance checks: every packet
 * on a transmit queue as the device read it, every receive buffer made available, and each feature negotiation.
 * Called on the queues' worker threads (negotiation on the connection's control thread); must not block.
 */
public interface NetTrafficListener {

    /**
     * A transmit chain: its header ({@code null} when the chain is shorter than one), all its device-readable bytes,
     * the frame's length after the header, the frame's source and destination MACs and EtherType (each -1 when the
     * frame is shorter than an Ethernet header, or too long to be read), whether it announces its sender to the network
     * ({@link Announcement#of}) and its device-writable bytes (a transmit chain needs none).
     */
    void transmitted(int queue, int head, NetHeader header, long readableBytes, int frameBytes, long sourceMac,
                     long destinationMac, int etherType, boolean announcement, long writableBytes);

    /** A receive chain the driver made available: its device-writable and device-readable bytes. */
    void receiveBuffer(int queue, int head, long writableBytes, long readableBytes);

    /** The driver acknowledged {@code negotiated} of {@code offered}; the configuration space says {@code mtu}. */
    void featuresNegotiated(long offered, long negotiated, int mtu);

    /** The device set ANNOUNCE in its status: it asks the driver to announce itself and to acknowledge. */
    default void announceRequested() {
    }

    /**
     * A control command the device served: the command ({@code null} when the chain was too short for one), the ack it
     * wrote ({@link ControlQueue#NO_ACK} when there was no room) and what was wrong with it.
     */
    default void controlCommand(int queue, int head, ControlCommand command, int ack, java.util.List<NetFinding> findings) {
    }
}
