package dev.pvkit.backends.blk;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A request's data moved between the store and the chain's guest buffers in place: the store reads into, or writes
 * from, direct views of guest memory ({@link GuestMemory#writeVia}, {@link GuestMemory#readVia}), so a file store
 * does one positional system call per buffer and no copy. One instance per thread serves every request of that
 * thread, so a request allocates nothing here.
 */
final class ChainData implements BlockEngine.ReadTarget, BlockEngine.WriteSource, GuestMemory.Transfer<IOException> {
    private static final ThreadLocal<ChainData> PER_THREAD = ThreadLocal.withInitial(ChainData::new);

    private GuestMemory memory;
    private List<Segment> segments;
    /** Bytes at the start of {@link #segments} that are not data (the request header). */
    private long skip;
    private BlockStore store;
    private boolean toGuest;
    /** The store offset of the first byte of the buffer being moved. */
    private long storeOffset;
    /** Bytes of guest buffers filled completely so far: what a read reports as written. */
    private long filled;

    private ChainData() {
    }

    /**
     * This thread's instance, set to move data through {@code segments} after their first {@code skip} bytes. Pair
     * with {@link #release()}.
     */
    static ChainData of(GuestMemory memory, List<Segment> segments, long skip) {
        ChainData d = PER_THREAD.get();
        if (d.memory != null) throw new IllegalStateException("chain data of this thread already in use");
        d.memory = memory;
        d.segments = segments;
        d.skip = skip;
        d.filled = 0;
        return d;
    }

    /** Drops the request's references, so a thread does not keep an old memory map alive. */
    void release() {
        memory = null;
        segments = null;
        store = null;
    }

    /** Bytes of guest buffers a read filled: all it asked for unless it failed. */
    long filled() {
        return filled;
    }

    @Override
    public void readFrom(BlockStore s, long offset, long bytes) throws IOException {
        move(s, offset, bytes, true);
    }

    @Override
    public void writeTo(BlockStore s, long offset, long bytes) throws IOException {
        move(s, offset, bytes, false);
    }

    private void move(BlockStore s, long offset, long bytes, boolean into) throws IOException {
        store = s;
        toGuest = into;
        long toSkip = skip;
        long done = 0;
        for (int i = 0; i < segments.size() && done < bytes; i++) {
            Segment seg = segments.get(i);
            long skipped = Math.min(toSkip, seg.unsignedLength());
            toSkip -= skipped;
            long n = Math.min(seg.unsignedLength() - skipped, bytes - done);
            if (n == 0) continue;
            storeOffset = offset + done;
            if (into) memory.writeVia(seg.address() + skipped, n, this);
            else memory.readVia(seg.address() + skipped, n, this);
            done += n;
            if (into) filled = done;
        }
        if (done < bytes) throw new IllegalStateException("the chain holds " + done + " of " + bytes + " data bytes");
    }

    /** One view of a guest buffer: the store fills it completely or takes all of it, as {@link BlockStore} promises. */
    @Override
    public void move(ByteBuffer view, long offset) throws IOException {
        if (toGuest) store.read(storeOffset + offset, view);
        else store.write(storeOffset + offset, view);
    }
}
