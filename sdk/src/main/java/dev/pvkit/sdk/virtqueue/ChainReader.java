package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.util.List;

/** Reads a chain's device-readable bytes in order, as one stream across its segments. */
public final class ChainReader extends SegmentCursor {

    ChainReader(GuestMemory memory, List<Segment> segments) {
        super(memory, segments);
    }

    /** Reads exactly {@code len} bytes; throws {@link IllegalStateException} when fewer remain. */
    public void read(byte[] dst, int off, int len) {
        advance(len, (address, done, n) -> memory.read(address, dst, off + (int) done, n));
    }

    /** Fills {@code dst}'s remaining bytes, advancing its position; throws {@link IllegalStateException} when fewer remain. */
    public void read(ByteBuffer dst) {
        int limit = dst.limit();
        try {
            advance(dst.remaining(), (address, done, n) -> {
                dst.limit(dst.position() + n);
                memory.read(address, dst);
            });
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
        advance(len, null);
    }
}
