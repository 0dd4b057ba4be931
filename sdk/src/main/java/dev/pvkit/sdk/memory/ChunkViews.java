package dev.pvkit.sdk.memory;

import dev.pvkit.sdk.os.MappedMemory;

import java.nio.ByteBuffer;

/**
 * Direct buffers over the mapping chunks of one memory map, made once per thread and repositioned for every
 * {@link GuestMemory#readVia}/{@link GuestMemory#writeVia} piece, so moving data in place allocates nothing in
 * steady state. Read views are read-only: data can reach guest memory only through a write view, whose writes
 * {@link GuestMemory} reports to its {@link WriteObserver}.
 *
 * <p>A thread keeps the views of the last map it used (keyed by the identity of the map's region array, which a map
 * shares with its {@code withGuard}/{@code withWriteObserver} variants); a new map replaces them. A transfer that
 * starts another one on the same thread (nested) gets views of its own, so the outer one's view never moves under it.
 */
final class ChunkViews {
    private static final ThreadLocal<ChunkViews> PER_THREAD = new ThreadLocal<>();

    private MemoryRegion[] regions;
    /** [region][chunk], made on first use; the region index is the map's. */
    private ByteBuffer[][] writable;
    private ByteBuffer[][] readable;
    private boolean busy;

    private ChunkViews(MemoryRegion[] regions) {
        use(regions);
    }

    /** This thread's views of {@code regions}; pair with {@link #release}. */
    static ChunkViews acquire(MemoryRegion[] regions) {
        ChunkViews v = PER_THREAD.get();
        if (v == null) {
            v = new ChunkViews(regions);
            PER_THREAD.set(v);
        } else if (v.busy) {
            return new ChunkViews(regions); // nested: the outer transfer still uses the thread's views
        } else if (v.regions != regions) {
            v.use(regions);
        }
        v.busy = true;
        return v;
    }

    void release() {
        busy = false;
    }

    private void use(MemoryRegion[] map) {
        regions = map;
        writable = new ByteBuffer[map.length][];
        readable = new ByteBuffer[map.length][];
    }

    /**
     * A view of region {@code index} from region offset {@code offset}: position there, limit after at most
     * {@code max} bytes, fewer where the mapping chunk ends. The caller has checked the range.
     */
    ByteBuffer view(int index, long offset, long max, boolean write) {
        MappedMemory m = regions[index].mapping();
        ByteBuffer[][] all = write ? writable : readable;
        if (all[index] == null) all[index] = new ByteBuffer[m.chunkCount()];
        int chunk = (int) (offset >>> MappedMemory.CHUNK_SHIFT);
        ByteBuffer v = all[index][chunk];
        if (v == null) {
            ByteBuffer c = m.chunkAt(offset);
            v = write ? c.duplicate() : c.asReadOnlyBuffer();
            all[index][chunk] = v;
        }
        int at = (int) (offset & (MappedMemory.CHUNK_SIZE - 1));
        int n = (int) Math.min(max, v.capacity() - at);
        v.limit(at + n).position(at); // limit first: a position past the new limit is pulled back, not refused
        return v;
    }
}
