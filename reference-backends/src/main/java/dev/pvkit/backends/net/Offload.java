package dev.pvkit.backends.net;

import java.util.List;

/**
 * What a transmitted packet left to the network: a checksum to complete (NEEDS_CSUM: the 16-bit field at
 * {@code csumStart + csumOffset} holds the pseudo-header sum, the rest of the packet from {@code csumStart} still to
 * be added) and, when {@code gsoType} is not {@link VirtioNet#GSO_NONE}, segmentation into packets of at most
 * {@code gsoSize} payload bytes. It travels through the switch with the frame: a port whose driver negotiated the
 * matching GUEST_ features gets the packet as it is, with these fields in its header; any other port gets
 * {@link #plain} frames.
 */
public record Offload(int gsoType, int gsoSize, int hdrLen, int csumStart, int csumOffset) {

    /** Only a checksum to complete. */
    public static Offload checksum(int csumStart, int csumOffset) {
        return new Offload(VirtioNet.GSO_NONE, 0, 0, csumStart, csumOffset);
    }

    public boolean segments() {
        return (gsoType & ~VirtioNet.GSO_ECN) != VirtioNet.GSO_NONE;
    }

    /**
     * {@code frame} as frames a port without offloads takes: segmented (each with its checksums complete) or with
     * the checksum completed; empty when the packet cannot be segmented (the caller counts it dropped). Never changes
     * {@code frame}, which flooding shares between ports.
     */
    public static List<byte[]> plain(byte[] frame, Offload offload) {
        if (offload == null) return List.of(frame);
        if (offload.segments()) return TcpSegmenter.segment(frame, offload.gsoType() & ~VirtioNet.GSO_ECN, offload.gsoSize());
        byte[] copy = frame.clone();
        completeChecksum(copy, offload.csumStart(), offload.csumOffset());
        return List.of(copy);
    }

    /**
     * NEEDS_CSUM: the field at {@code start + offset} holds the pseudo-header sum, and the ones'-complement sum from
     * {@code start} to the frame's end, stored there, completes the packet (virtio 5.1.6.2). The transmit check made
     * sure the field lies inside the frame [DRV-NET-041].
     */
    static void completeChecksum(byte[] frame, int start, int offset) {
        int sum = Ipv4.checksum(frame, start, frame.length - start, 0);
        // The field's own bytes are part of the sum: the result replaces them.
        Ipv4.put16(frame, start + offset, sum);
    }
}
