package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.nio.ByteBuffer;

/** Writes a chain's device-writable bytes in order, as one stream across its segments; counts what it wrote. */
public final class ChainWriter extends SegmentCursor {
    private long written;

    ChainWriter(GuestMemory memory, long[] buffers, int from, long bytes) {
        super(memory, buffers, from, bytes);
    }

    /** Bytes written so far: what a completion reports as the used length. */
    public long written() {
        return written;
    }

    /** Writes exactly {@code len} bytes; throws {@link IllegalStateException} when the chain has less room. */
    public void write(byte[] src, int off, int len) {
        require(len);
        for (int done = 0; done < len; ) {
            int n = piece(len - done);
            memory.write(address(), src, off + done, n);
            moved(n);
            done += n;
        }
        written += len;
    }

    /**
     * Writes all of {@code src}'s remaining bytes, advancing its position; throws {@link IllegalStateException} when
     * the chain has less room. With a direct buffer this is one copy, straight into guest memory.
     */
    public void write(ByteBuffer src) {
        int len = src.remaining();
        require(len);
        // As ChainReader.read(ByteBuffer): absolute copies, no limit juggled per piece, small enough to inline.
        for (int done = 0; done < len; ) {
            int n = piece(len - done);
            int at = src.position();
            memory.write(address(), src, at, n);
            src.position(at + n);
            moved(n);
            done += n;
        }
        written += len;
    }

    public void write(byte[] src) {
        write(src, 0, src.length);
    }

    public void writeByte(int value) {
        write(new byte[]{(byte) value}, 0, 1);
    }
}
