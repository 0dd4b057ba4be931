package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/** Writes a chain's device-writable bytes in order, as one stream across its segments; counts what it wrote. */
public final class ChainWriter {
    private final GuestMemory memory;
    private final List<Segment> segments;
    private int segment;
    private long offset;
    private long remaining;
    private long written;

    ChainWriter(GuestMemory memory, List<Segment> segments) {
        this.memory = memory;
        this.segments = segments;
        for (Segment s : segments) remaining += s.unsignedLength();
    }

    /** Room left. */
    public long remaining() {
        return remaining;
    }

    /** Bytes written so far: what a completion reports as the used length. */
    public long written() {
        return written;
    }

    /** Writes exactly {@code len} bytes; throws {@link IllegalStateException} when the chain has less room. */
    public void write(byte[] src, int off, int len) {
        if (len > remaining) throw new IllegalStateException("chain has room for " + remaining + " bytes, " + len + " offered");
        while (len > 0) {
            Segment s = segments.get(segment);
            int n = (int) Math.min(len, s.unsignedLength() - offset);
            if (n > 0) {
                memory.write(s.address() + offset, src, off, n);
                off += n;
                len -= n;
                advance(n);
            } else {
                segment++;
                offset = 0;
            }
        }
    }

    public void write(byte[] src) {
        write(src, 0, src.length);
    }

    public void writeByte(int value) {
        write(new byte[]{(byte) value}, 0, 1);
    }

    private void advance(long n) {
        offset += n;
        remaining -= n;
        written += n;
        if (offset == segments.get(segment).unsignedLength()) {
            segment++;
            offset = 0;
        }
    }
}
