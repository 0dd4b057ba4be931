package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/**
 * A validated descriptor chain: the driver's request as scatter lists, without ring details. A handler reads the
 * device-readable segments, writes the device-writable ones, and gives the chain back to its queue with
 * {@link DeviceQueue#complete}.
 */
public final class Chain {
    private final int id;
    private final List<Segment> readable;
    private final List<Segment> writable;
    private final long readableBytes;
    private final long writableBytes;
    private final int ringSlots;
    private final List<ChainError> tolerated;
    final long sequence;

    Chain(int id, List<Segment> readable, List<Segment> writable, long readableBytes, long writableBytes,
          int ringSlots, List<ChainError> tolerated, long sequence) {
        this.id = id;
        // Immutable, so a handler cannot change what was validated: the builder already gives immutable lists,
        // which List.copyOf keeps as they are (no copy per request); anything else is copied.
        this.readable = List.copyOf(readable);
        this.writable = List.copyOf(writable);
        this.readableBytes = readableBytes;
        this.writableBytes = writableBytes;
        this.ringSlots = ringSlots;
        this.tolerated = List.copyOf(tolerated);
        this.sequence = sequence;
    }

    /** The id the used entry will carry: the head descriptor index (split) or the buffer id (packed). */
    public int id() {
        return id;
    }

    /** Device-readable segments in chain order (unmodifiable). */
    public List<Segment> readable() {
        return readable;
    }

    /** Device-writable segments in chain order (unmodifiable). */
    public List<Segment> writable() {
        return writable;
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
        return new ChainReader(memory, readable);
    }

    /** A cursor over the writable segments. */
    public ChainWriter writer(GuestMemory memory) {
        return new ChainWriter(memory, writable);
    }

    @Override
    public String toString() {
        return "Chain[id=" + id + ", readable=" + readable + ", writable=" + writable + "]";
    }
}
