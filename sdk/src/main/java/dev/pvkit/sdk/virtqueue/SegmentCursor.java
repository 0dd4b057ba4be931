package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

/**
 * A position in a chain's scatter list, moved across segment boundaries by the reader and writer. It walks the
 * chain's buffer array in place (address, length pairs) and hands out one contiguous piece at a time, so moving
 * data allocates nothing: no per-call lambda, no segment objects.
 */
abstract class SegmentCursor {
    final GuestMemory memory;
    private final long[] buffers;
    private int at;          // index of the current buffer's pair
    private long offset;     // bytes of the current buffer already passed
    private long remaining;

    /**
     * A cursor over the pairs from {@code buffers[from]} on (address, length) whose lengths sum to {@code bytes}:
     * the chain counted them when it was built, so no cursor sums them again.
     */
    SegmentCursor(GuestMemory memory, long[] buffers, int from, long bytes) {
        this.memory = memory;
        this.buffers = buffers;
        this.at = from;
        this.remaining = bytes;
    }

    /** Bytes between the cursor and the end of the last segment. */
    public long remaining() {
        return remaining;
    }

    /** Refuses a move of {@code len} bytes when fewer remain, before anything moves. */
    final void require(long len) {
        if (len > remaining) {
            throw new IllegalStateException("chain has " + remaining + " bytes left, " + len + " wanted");
        }
    }

    /**
     * Steps over finished (and empty) buffers and returns how many of the next {@code want} bytes lie contiguously at
     * {@link #address()}: at most an int's worth, as segments can exceed 2 GiB. Needs {@code 0 < want <= remaining},
     * so a buffer with bytes left exists.
     */
    final int piece(long want) {
        long left;
        while ((left = buffers[at + 1] - offset) == 0) {
            at += 2;
            offset = 0;
        }
        return (int) Math.min(Math.min(want, left), Integer.MAX_VALUE);
    }

    /** The guest address of the cursor, after {@link #piece}. */
    final long address() {
        return buffers[at] + offset;
    }

    /** The piece's {@code n} bytes were moved. */
    final void moved(long n) {
        offset += n;
        remaining -= n;
    }

    /** Moves the cursor {@code len} bytes on without touching memory; segments and skips can exceed 2 GiB. */
    final void skipBytes(long len) {
        require(len);
        long done = 0;
        while (done < len) {
            long left = buffers[at + 1] - offset;
            if (left == 0) {
                at += 2;
                offset = 0;
                continue;
            }
            long n = Math.min(len - done, left);
            moved(n);
            done += n;
        }
    }
}
