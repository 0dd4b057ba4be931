package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/**
 * A validated descriptor chain: the driver's request as scatter lists, without ring details. A handler reads the
 * device-readable segments, writes the device-writable ones, and gives the chain back to its queue with
 * {@link DeviceQueue#complete}.
 */
public final class Chain {
    private static final long[] NO_BUFFERS = new long[0];

    private final int id;
    /**
     * Every buffer, the readable ones first, as two entries: its address, then its length (the unsigned 32-bit value
     * the descriptor carried). A chain is made for every request, so its buffers live in one array rather than a
     * {@link Segment} and a list per buffer; the cursors read it directly. Never changed, never handed out.
     */
    private final long[] buffers;
    private final int readableCount;
    private final long readableBytes;
    private final long writableBytes;
    private final int ringSlots;
    private final List<ChainError> tolerated;
    final long sequence;
    /**
     * The {@link CompletionOrder#token} of the queue that took the chain while it is in flight there, else 0: set when
     * the queue takes it, cleared when its completion is released, both under the ring's lock like every use. A chain
     * completed twice or on another queue is told from one in flight by this alone. An int, not a reference to the
     * order: a reference store costs the collector's write barrier, twice per request.
     */
    int takenBy;
    /**
     * The segment lists, made when first asked for: most handlers use the cursors only. Racy but harmless: two
     * threads may each make one, equal and immutable (final fields only, so safe to publish without a lock).
     */
    private List<Segment> readable;
    private List<Segment> writable;

    Chain(int id, List<Segment> readable, List<Segment> writable, long readableBytes, long writableBytes,
          int ringSlots, List<ChainError> tolerated, long sequence) {
        // Immutable, so a handler cannot change what was validated; List.copyOf keeps an immutable list as it is.
        this(id, pairs(List.copyOf(readable), List.copyOf(writable)), readable.size(), readableBytes, writableBytes,
                ringSlots, List.copyOf(tolerated), sequence);
        this.readable = List.copyOf(readable);
        this.writable = List.copyOf(writable);
    }

    /**
     * A chain over {@code buffers} (address, length pairs, the first {@code readableCount} readable), which it keeps,
     * as it keeps {@code tolerated}, an immutable list (the builder's).
     */
    Chain(int id, long[] buffers, int readableCount, long readableBytes, long writableBytes, int ringSlots,
          List<ChainError> tolerated, long sequence) {
        this.id = id;
        this.buffers = buffers;
        this.readableCount = readableCount;
        this.readableBytes = readableBytes;
        this.writableBytes = writableBytes;
        this.ringSlots = ringSlots;
        this.tolerated = tolerated;
        this.sequence = sequence;
    }

    private static long[] pairs(List<Segment> readable, List<Segment> writable) {
        int n = readable.size() + writable.size();
        if (n == 0) return NO_BUFFERS;
        long[] b = new long[2 * n];
        int i = 0;
        for (Segment s : readable) {
            b[i++] = s.address();
            b[i++] = s.unsignedLength();
        }
        for (Segment s : writable) {
            b[i++] = s.address();
            b[i++] = s.unsignedLength();
        }
        return b;
    }

    /** The id the used entry will carry: the head descriptor index (split) or the buffer id (packed). */
    public int id() {
        return id;
    }

    /** Device-readable segments in chain order (unmodifiable). */
    public List<Segment> readable() {
        List<Segment> l = readable;
        if (l == null) readable = l = segments(0, readableCount);
        return l;
    }

    /** Device-writable segments in chain order (unmodifiable). */
    public List<Segment> writable() {
        List<Segment> l = writable;
        if (l == null) writable = l = segments(readableCount, buffers.length / 2);
        return l;
    }

    private List<Segment> segments(int from, int to) {
        Segment[] s = new Segment[to - from];
        for (int i = from; i < to; i++) s[i - from] = new Segment(buffers[2 * i], (int) buffers[2 * i + 1]);
        return List.of(s);
    }

    /** How many device-readable buffers the chain has. */
    public int readableCount() {
        return readableCount;
    }

    /** How many device-writable buffers the chain has. */
    public int writableCount() {
        return buffers.length / 2 - readableCount;
    }

    /**
     * The guest address of buffer {@code i}, counting the readable buffers first and the writable ones after them:
     * with {@link #bufferLength}, the segments without a list or a {@link Segment} made for them.
     */
    public long bufferAddress(int i) {
        return buffers[2 * java.util.Objects.checkIndex(i, buffers.length / 2)];
    }

    /** The length of buffer {@code i} (counted as for {@link #bufferAddress}): the descriptor's unsigned 32-bit value. */
    public long bufferLength(int i) {
        return buffers[2 * java.util.Objects.checkIndex(i, buffers.length / 2) + 1];
    }

    public long readableBytes() {
        return readableBytes;
    }

    public long writableBytes() {
        return writableBytes;
    }

    /** Descriptor-ring slots the chain occupies (packed: how far the used position moves when it completes). */
    public int ringSlots() {
        return ringSlots;
    }

    /** Rule violations the queue's policy chose to tolerate for this chain (empty for a clean chain). */
    public List<ChainError> tolerated() {
        return tolerated;
    }

    /** A cursor over the readable segments. */
    public ChainReader reader(GuestMemory memory) {
        return new ChainReader(memory, buffers, 0, readableBytes);
    }

    /** A cursor over the writable segments. */
    public ChainWriter writer(GuestMemory memory) {
        return new ChainWriter(memory, buffers, 2 * readableCount, writableBytes);
    }

    @Override
    public String toString() {
        return "Chain[id=" + id + ", readable=" + readable() + ", writable=" + writable() + "]";
    }
}
