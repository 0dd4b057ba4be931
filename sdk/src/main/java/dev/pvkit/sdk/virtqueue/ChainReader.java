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
        int limit = dst.limit();
        try {
            for (int done = 0; done < len; ) {
                int n = piece(len - done);
                dst.limit(dst.position() + n);
                memory.read(address(), dst);
                moved(n);
                done += n;
            }
        } finally {
            dst.limit(limit);
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
