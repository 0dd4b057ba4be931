package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

/**
 * A request's device-readable buffers (what the driver sent) as one range of bytes, read in place: a header at
 * offset 0 is read as one value even when the driver split it across descriptors, and data goes from guest memory
 * to its destination without a copy ({@link #readVia}). There is no way to write: a device must not write to a
 * device-readable buffer [DEV-SPLIT-003, DEV-PACKED-004]. Offsets outside {@code 0..length()} throw
 * {@link IndexOutOfBoundsException}. Not thread-safe.
 */
public final class ReadableBuffers extends ChainBuffers {

    private ReadableBuffers(GuestMemory memory, Chain chain) {
        super(memory, chain, 0, chain.readableCount(), chain.readableBytes());
    }

    /** {@code chain}'s readable buffers in {@code memory}. */
    public static ReadableBuffers of(GuestMemory memory, Chain chain) {
        return new ReadableBuffers(memory, chain);
    }

    public byte readU8(long at) {
        return (byte) readLittleEndian(at, 1);
    }

    public short readLe16(long at) {
        return (short) readLittleEndian(at, 2);
    }

    public int readLe32(long at) {
        return (int) readLittleEndian(at, 4);
    }

    public long readLe64(long at) {
        return readLittleEndian(at, 8);
    }

    /** Copies {@code n} bytes from {@code at} into {@code dst[offset..]}. */
    public void read(long at, byte[] dst, int offset, int n) {
        copy(at, dst, offset, n, false);
    }

    /**
     * Hands {@code transfer} read-only direct views of {@code [at, at + n)}, in order (one per segment, or more where
     * a segment spans guest memory regions), the offset it gets counted from {@code at}: a file write straight from
     * guest memory. As {@link GuestMemory#readVia}: each view must be taken whole, and is valid only during the call.
     */
    public <E extends Exception> void readVia(long at, long n, GuestMemory.Transfer<E> transfer) throws E {
        via(at, n, false, transfer);
    }
}
