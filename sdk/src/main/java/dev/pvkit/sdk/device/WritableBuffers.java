package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

/**
 * A request's device-writable buffers (where the device answers) as one range of bytes, written in place: a
 * trailing status byte is {@code writeU8(length() - 1, status)} wherever the driver put it, and data goes into guest
 * memory without a copy ({@link #writeVia}); every write reaches the dirty log. There is no way to read: a device
 * should not read a device-writable buffer [DEV-SPLIT-004, DEV-PACKED-005] (it holds whatever the driver left there). Offsets outside
 * {@code 0..length()} throw {@link IndexOutOfBoundsException}. Not thread-safe.
 */
public final class WritableBuffers extends ChainBuffers {

    private WritableBuffers(GuestMemory memory, Chain chain) {
        super(memory, chain, chain.readableCount(), chain.readableCount() + chain.writableCount(), chain.writableBytes());
    }

    /** {@code chain}'s writable buffers in {@code memory}. */
    public static WritableBuffers of(GuestMemory memory, Chain chain) {
        return new WritableBuffers(memory, chain);
    }

    public void writeU8(long at, byte value) {
        writeLittleEndian(at, 1, value);
    }

    public void writeLe16(long at, short value) {
        writeLittleEndian(at, 2, value);
    }

    public void writeLe32(long at, int value) {
        writeLittleEndian(at, 4, value);
    }

    public void writeLe64(long at, long value) {
        writeLittleEndian(at, 8, value);
    }

    /** Copies {@code src[offset..offset + n)} to {@code at}. */
    public void write(long at, byte[] src, int offset, int n) {
        copy(at, src, offset, n, true);
    }

    /**
     * Hands {@code transfer} writable direct views of {@code [at, at + n)}, in order, the offset it gets counted from
     * {@code at}: a file read straight into guest memory. As {@link GuestMemory#writeVia}: each view must be filled
     * whole, is valid only during the call, and is reported to the dirty log once the transfer returns for it.
     */
    public <E extends Exception> void writeVia(long at, long n, GuestMemory.Transfer<E> transfer) throws E {
        via(at, n, true, transfer);
    }
}
