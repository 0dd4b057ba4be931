package dev.pvkit.sdk.virtqueue;

/**
 * One buffer of a chain, as the driver described it: a guest-physical address and a length. Validated chains
 * only hold segments that lie inside guest memory.
 */
public record Segment(long address, int length) {

    /** The length as the unsigned 32-bit value the descriptor carried. */
    public long unsignedLength() {
        return Integer.toUnsignedLong(length);
    }
}
