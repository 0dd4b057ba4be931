package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/** A position in a chain's scatter list, moved across segment boundaries by the reader and writer. */
abstract class SegmentCursor {
    final GuestMemory memory;
    private final List<Segment> segments;
    private int segment;
    private long offset;
    private long remaining;

    SegmentCursor(GuestMemory memory, List<Segment> segments) {
        this.memory = memory;
        this.segments = segments;
        for (int i = 0; i < segments.size(); i++) remaining += segments.get(i).unsignedLength(); // no iterator per request
    }

    /** Bytes between the cursor and the end of the last segment. */
    public long remaining() {
        return remaining;
    }

    /** One contiguous piece of guest memory: its address, bytes already moved before it, its length. */
    @FunctionalInterface
    interface Piece {
        void apply(long address, long done, int length);
    }

    /** Moves the cursor {@code len} bytes on, handing each contiguous piece to {@code piece} (null: just skip). */
    final void advance(long len, Piece piece) {
        if (len > remaining) {
            throw new IllegalStateException("chain has " + remaining + " bytes left, " + len + " wanted");
        }
        long done = 0;
        while (done < len) {
            Segment s = segments.get(segment);
            // Segments and skips can exceed 2 GiB: count in long, and hand out pieces no larger than an int.
            long n = Math.min(len - done, s.unsignedLength() - offset);
            if (piece != null) n = Math.min(n, Integer.MAX_VALUE);
            if (n > 0) {
                if (piece != null) piece.apply(s.address() + offset, done, (int) n);
                done += n;
                offset += n;
                remaining -= n;
            }
            if (offset == s.unsignedLength()) {
                segment++;
                offset = 0;
            }
        }
    }
}
