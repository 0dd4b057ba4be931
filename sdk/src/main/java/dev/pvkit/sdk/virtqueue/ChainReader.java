package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/** Reads a chain's device-readable bytes in order, as one stream across its segments. */
public final class ChainReader {
    private final GuestMemory memory;
    private final List<Segment> segments;
    private int segment;
    private long offset;
    private long remaining;

    ChainReader(GuestMemory memory, List<Segment> segments) {
        this.memory = memory;
        this.segments = segments;
        for (Segment s : segments) remaining += s.unsignedLength();
    }

    /** Bytes not yet read. */
    public long remaining() {
        return remaining;
    }

    /** Reads exactly {@code len} bytes; throws {@link IllegalStateException} when fewer remain. */
    public void read(byte[] dst, int off, int len) {
        if (len > remaining) throw new IllegalStateException("chain has " + remaining + " readable bytes left, " + len + " wanted");
        while (len > 0) {
            Segment s = segments.get(segment);
            int n = (int) Math.min(len, s.unsignedLength() - offset);
            if (n > 0) {
                memory.read(s.address() + offset, dst, off, n);
                off += n;
                len -= n;
                advance(n);
            } else {
                segment++;
                offset = 0;
            }
        }
    }

    public byte[] readBytes(int len) {
        byte[] b = new byte[len];
        read(b, 0, len);
        return b;
    }

    /** Skips {@code len} bytes. */
    public void skip(long len) {
        if (len > remaining) throw new IllegalStateException("chain has " + remaining + " readable bytes left, skip of " + len);
        while (len > 0) {
            Segment s = segments.get(segment);
            long n = Math.min(len, s.unsignedLength() - offset);
            if (n > 0) {
                len -= n;
                advance(n);
            } else {
                segment++;
                offset = 0;
            }
        }
    }

    private void advance(long n) {
        offset += n;
        remaining -= n;
        if (offset == segments.get(segment).unsignedLength()) {
            segment++;
            offset = 0;
        }
    }
}
