package dev.pvkit.conformance.live;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Byte ranges (offset, length) a store was asked for, recorded from any thread, and whether they cover a range. */
public final class ByteRanges {
    private final Queue<long[]> ranges = new ConcurrentLinkedQueue<>();

    public void add(long offset, long length) {
        ranges.add(new long[]{offset, length});
    }

    /** Whether the recorded ranges together cover [offset, offset + length). */
    public boolean covers(long offset, long length) {
        List<long[]> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(r -> r[0]));
        long next = offset;
        for (long[] r : sorted) {
            if (r[0] > next) break;
            next = Math.max(next, r[0] + r[1]);
        }
        return next >= offset + length;
    }

    /** The recorded ranges as {offset, length}, in the order they were added. */
    public List<long[]> list() {
        return List.copyOf(ranges);
    }
}
