package dev.pvkit.backends.blk;

import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.memory.GuestMemory;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A request's data moved between the store and the request's buffers in place: the store reads into, or writes
 * from, direct views of guest memory ({@link WritableBuffers#writeVia}, {@link ReadableBuffers#readVia}), so a file
 * store does one positional system call per buffer and no copy. One instance per thread serves every request of
 * that thread, so a request allocates nothing here.
 */
final class ChainData implements BlockEngine.ReadTarget, BlockEngine.WriteSource, GuestMemory.Transfer<IOException> {
    private static final ThreadLocal<ChainData> PER_THREAD = ThreadLocal.withInitial(ChainData::new);

    /** Where a read's data goes; null for a write. */
    private WritableBuffers into;
    /** Where a write's data comes from, and the bytes before it there (the request header); null for a read. */
    private ReadableBuffers from;
    private long skip;
    private BlockStore store;
    /** The store offset of the first byte of the range being moved. */
    private long storeOffset;
    /** Bytes of guest buffers filled so far: what a read reports as written. */
    private long filled;

    private ChainData() {
    }

    /** This thread's instance, set to read data into {@code out} from its first byte. Pair with {@link #release()}. */
    static ChainData into(WritableBuffers out) {
        ChainData d = claim();
        d.into = out;
        return d;
    }

    /** This thread's instance, set to write the data of {@code in} after its first {@code skip} bytes. Pair with {@link #release()}. */
    static ChainData from(ReadableBuffers in, long skip) {
        ChainData d = claim();
        d.from = in;
        d.skip = skip;
        return d;
    }

    private static ChainData claim() {
        ChainData d = PER_THREAD.get();
        if (d.into != null || d.from != null) throw new IllegalStateException("chain data of this thread already in use");
        d.filled = 0;
        return d;
    }

    /** Drops the request's references, so a thread does not keep an old memory map alive. */
    void release() {
        into = null;
        from = null;
        store = null;
    }

    /** Bytes of guest buffers a read filled: all it asked for unless it failed. */
    long filled() {
        return filled;
    }

    @Override
    public void readFrom(BlockStore s, long offset, long bytes) throws IOException {
        store = s;
        storeOffset = offset;
        into.writeVia(0, bytes, this);
    }

    @Override
    public void writeTo(BlockStore s, long offset, long bytes) throws IOException {
        store = s;
        storeOffset = offset;
        from.readVia(skip, bytes, this);
    }

    /** One view of a guest buffer: the store fills it completely or takes all of it, as {@link BlockStore} promises. */
    @Override
    public void move(ByteBuffer view, long offset) throws IOException {
        if (into != null) {
            int n = view.remaining();
            store.read(storeOffset + offset, view);
            filled = offset + n;
        } else {
            store.write(storeOffset + offset, view);
        }
    }
}
