package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.nio.ByteBuffer;

/** Reads a chain's device-readable bytes in order, as one stream across its segments. */
public final class ChainReader extends SegmentCursor {

    ChainReader(GuestMemory memory, long[] buffers, int from, long bytes) {
        super(memory, buffers, from, bytes);
    }

    /** Reads exactly {@code len} bytes; throws {@link IllegalStateException} when fewer remain. */
    public void read(byte[] dst, int off, int len) {
        require(len);
        for (int done = 0; done < len; ) {
            int n = piece(len - done);
            memory.read(address(), dst, off + done, n);
            moved(n);
            done += n;
        }
    }

    /** Fills {@code dst}'s remaining bytes, advancing its position; throws {@link IllegalStateException} when fewer remain. */
    public void read(ByteBuffer dst) {
        int len = dst.remaining();
        require(len);
        // Absolute copies, the position moved per piece: no limit set and restored around each piece, which kept this
        // method too big for the JIT to inline into a handler, and so the reader from being kept off the heap.
        for (int done = 0; done < len; ) {
            int n = piece(len - done);
            int at = dst.position();
            memory.read(address(), dst, at, n);
            dst.position(at + n);
            moved(n);
            done += n;
        }
    }

    public byte[] readBytes(int len) {
        byte[] b = new byte[len];
        read(b, 0, len);
        return b;
    }

    /** Skips {@code len} bytes. */
    public void skip(long len) {
        skipBytes(len);
    }
}
