package dev.pvkit.sdk.memory;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A guest's RAM as this process sees it: an immutable set of non-overlapping {@link MemoryRegion}s. When the
 * front-end changes the memory map, a new {@code GuestMemory} replaces the old one as a whole, so a reader
 * never sees half a map.
 *
 * <h2>Bounds policy</h2>
 * Every access is checked against the map, with overflow-safe arithmetic: {@code address + length} may not
 * wrap, and every byte must lie in some region. A range may span several regions only where they are
 * contiguous in guest-physical space (the guest cannot tell them apart); a range that touches a hole is
 * outside. {@link #contains} answers the question without side effects; the accessors throw
 * {@link GuestMemoryException} (after telling the {@link AccessGuard}) for a range outside the map.
 *
 * <h2>In-place access</h2>
 * {@link #readVia} and {@link #writeVia} lend a checked range out as direct buffers over the mapping itself, so a
 * device can move data between guest memory and a file with one system call and no copy in between (a positional
 * {@code FileChannel} read or write). Writes made that way reach the {@link WriteObserver} as every other write does.
 *
 * <h2>Memory ordering</h2>
 * Ring indices and flags are the synchronisation points between driver and device. The {@code *Acquire} reads
 * are a plain load followed by an acquire fence: no later load (of ring entries, descriptors, buffers) can be
 * satisfied before it. The {@code *Release} writes are a release fence followed by a plain store: every earlier
 * store (used elements, buffer data) is visible before it. {@link #fullFence()} orders a store before a later
 * load, which notification suppression needs (publish the used index, then read the driver's event index).
 * All multi-byte values are little-endian, as virtio 1.x rings are.
 */
public final class GuestMemory {

    private final MemoryRegion[] regions;
    private final long[] starts;
    private final long[] ends;
    /**
     * The first region's bounds, checked before any search: most maps have one region holding the rings and
     * buffers (QEMU's guest RAM below 4 GiB), and the lookup runs for every ring and buffer access.
     */
    private final long firstStart;
    private final long firstEnd;
    /**
     * The first mapping chunk of the first region, with its guest-physical start and length (0 when there is no
     * region): an access wholly inside it goes straight to the buffer, without the region search, the range check's
     * loop or the chunk arithmetic. On the usual map (one region under 1 GiB) that is every ring and buffer access.
     * The buffer is only used with absolute indices, which share no state between threads.
     */
    private final ByteBuffer fast;
    private final long fastStart;
    private final long fastLength;
    /** The fast chunk's native address, and whether scalars go there directly ({@link NativeWords}). */
    private final long fastAddress;
    private final boolean nativeFast;
    private final AccessGuard guard;
    private final WriteObserver writes;
    /**
     * False for {@link WriteObserver#NONE}: every ring store would otherwise pay a type check and call for an
     * observer that does nothing (no dirty log is the usual case).
     */
    private final boolean observed;

    private GuestMemory(MemoryRegion[] regions, AccessGuard guard, WriteObserver writes) {
        this.regions = regions;
        this.starts = new long[regions.length];
        this.ends = new long[regions.length];
        for (int i = 0; i < regions.length; i++) {
            starts[i] = regions[i].guestPhysical();
            ends[i] = regions[i].guestEnd();
        }
        this.firstStart = regions.length == 0 ? 0 : starts[0];
        this.firstEnd = regions.length == 0 ? 0 : ends[0];
        this.fast = regions.length == 0 ? null : regions[0].mapping().chunkAt(0);
        this.fastStart = firstStart;
        this.fastLength = regions.length == 0 ? 0 : fast.limit();
        this.fastAddress = regions.length == 0 ? 0 : regions[0].mapping().address();
        this.nativeFast = NativeWords.AVAILABLE && regions.length > 0 && fast.isDirect();
        this.guard = guard;
        this.writes = writes;
        this.observed = writes != WriteObserver.NONE;
    }

    /** A memory map of {@code regions}; throws when two regions overlap in guest-physical or front-end space. */
    public static GuestMemory of(List<MemoryRegion> regions) {
        MemoryRegion[] sorted = regions.toArray(new MemoryRegion[0]);
        java.util.Arrays.sort(sorted, Comparator.comparingLong(MemoryRegion::guestPhysical));
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i].guestPhysical() < sorted[i - 1].guestEnd()) {
                throw new IllegalArgumentException(String.format("regions 0x%x+%d and 0x%x+%d overlap",
                        sorted[i - 1].guestPhysical(), sorted[i - 1].size(), sorted[i].guestPhysical(), sorted[i].size()));
            }
        }
        List<MemoryRegion> byUser = new ArrayList<>(regions);
        byUser.removeIf(r -> r.userAddress() == 0);
        byUser.sort((a, b) -> Long.compareUnsigned(a.userAddress(), b.userAddress()));
        for (int i = 1; i < byUser.size(); i++) {
            MemoryRegion p = byUser.get(i - 1);
            if (Long.compareUnsigned(byUser.get(i).userAddress(), p.userAddress() + p.size()) < 0) {
                throw new IllegalArgumentException(String.format("regions at user addresses 0x%x and 0x%x overlap",
                        p.userAddress(), byUser.get(i).userAddress()));
            }
        }
        return new GuestMemory(sorted, AccessGuard.NONE, WriteObserver.NONE);
    }

    public static GuestMemory of(MemoryRegion... regions) {
        return of(List.of(regions));
    }

    /** The same map with {@code guard} told of every out-of-range attempt. */
    public GuestMemory withGuard(AccessGuard newGuard) {
        return new GuestMemory(regions, newGuard, writes);
    }

    /** The same map with {@code observer} told of every write. */
    public GuestMemory withWriteObserver(WriteObserver observer) {
        return new GuestMemory(regions, guard, observer);
    }

    public List<MemoryRegion> regions() {
        return List.of(regions);
    }

    /** True when every byte of {@code [address, address + length)} is guest memory. A zero length is contained when {@code address} is. */
    public boolean contains(long address, long length) {
        if (length < 0 || address < 0 || address > Long.MAX_VALUE - length) return false;
        if (fastOffset(address, length) >= 0) return true;
        int i = indexOf(address);
        if (i < 0) return false;
        long end = address + length;
        while (ends[i] < end) {
            if (i + 1 >= regions.length || regions[i + 1].guestPhysical() != regions[i].guestEnd()) return false;
            i++;
        }
        return true;
    }

    /**
     * The guest-physical address of front-end virtual address {@code userAddress}, when the whole range
     * {@code [userAddress, userAddress + length)} lies in one region; otherwise -1. vhost-user ring addresses
     * arrive in the front-end's address space and are translated once, at queue set-up.
     */
    public long guestAddressOfUser(long userAddress, long length) {
        if (length < 0) return -1;
        for (MemoryRegion r : regions) {
            if (r.userAddress() == 0) continue;
            long off = userAddress - r.userAddress();
            if (Long.compareUnsigned(userAddress, r.userAddress()) >= 0 && Long.compareUnsigned(off, r.size()) < 0
                    && length <= r.size() - off) {
                return r.guestPhysical() + off;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- scalar access
    // Each accessor tries the fast chunk first and leaves everything else (other regions, other chunks, a value
    // split across regions, a range outside the map) to the general path, in a method of its own so the short
    // common path stays small enough for the JIT to inline into the ring code.

    public byte readU8(long address) {
        long off = fastScalar(address, 1);
        if (off >= 0) return nativeFast ? NativeWords.get8(fastAddress + off) : fast.get((int) off);
        return regionReadU8(address);
    }

    public void writeU8(long address, byte value) {
        long off = fastScalar(address, 1);
        if (off >= 0) {
            if (nativeFast) NativeWords.put8(fastAddress + off, value);
            else fast.put((int) off, value);
        } else regionWriteU8(address, value);
        if (observed) writes.written(address, 1);
    }

    public short readLe16(long address) {
        long off = fastScalar(address, 2);
        if (off >= 0) return nativeFast ? NativeWords.get16(fastAddress + off) : fast.getShort((int) off);
        return (short) regionRead(address, 2);
    }

    public void writeLe16(long address, short value) {
        long off = fastScalar(address, 2);
        if (off >= 0) {
            if (nativeFast) NativeWords.put16(fastAddress + off, value);
            else fast.putShort((int) off, value);
        } else regionWrite(address, 2, value);
        if (observed) writes.written(address, 2);
    }

    public int readLe32(long address) {
        long off = fastScalar(address, 4);
        if (off >= 0) return nativeFast ? NativeWords.get32(fastAddress + off) : fast.getInt((int) off);
        return (int) regionRead(address, 4);
    }

    public void writeLe32(long address, int value) {
        long off = fastScalar(address, 4);
        if (off >= 0) {
            if (nativeFast) NativeWords.put32(fastAddress + off, value);
            else fast.putInt((int) off, value);
        } else regionWrite(address, 4, value);
        if (observed) writes.written(address, 4);
    }

    public long readLe64(long address) {
        long off = fastScalar(address, 8);
        if (off >= 0) return nativeFast ? NativeWords.get64(fastAddress + off) : fast.getLong((int) off);
        return regionRead(address, 8);
    }

    public void writeLe64(long address, long value) {
        long off = fastScalar(address, 8);
        if (off >= 0) {
            if (nativeFast) NativeWords.put64(fastAddress + off, value);
            else fast.putLong((int) off, value);
        } else regionWrite(address, 8, value);
        if (observed) writes.written(address, 8);
    }

    private byte regionReadU8(long address) {
        MemoryRegion r = region(address, 1, false);
        return r.get(address - r.guestPhysical());
    }

    private void regionWriteU8(long address, byte value) {
        MemoryRegion r = region(address, 1, true);
        r.put(address - r.guestPhysical(), value);
    }

    /** A little-endian value of {@code length} (2, 4 or 8) bytes through the region search. */
    private long regionRead(long address, int length) {
        MemoryRegion r = region(address, length, false);
        if (r == null) return readSlow(address, length);
        long off = address - r.guestPhysical();
        return switch (length) {
            case 2 -> r.getShort(off);
            case 4 -> r.getInt(off);
            default -> r.getLong(off);
        };
    }

    /** Stores the low {@code length} (2, 4 or 8) bytes of {@code value} through the region search; no observer call. */
    private void regionWrite(long address, int length, long value) {
        MemoryRegion r = region(address, length, true);
        if (r == null) {
            writeSlow(address, length, value);
            return;
        }
        long off = address - r.guestPhysical();
        switch (length) {
            case 2 -> r.putShort(off, (short) value);
            case 4 -> r.putInt(off, (int) value);
            default -> r.putLong(off, value);
        }
    }

    /** A 16-bit load with acquire ordering: later loads cannot pass it (ring index and flag reads). */
    public short readLe16Acquire(long address) {
        short v = readLe16(address);
        VarHandle.acquireFence();
        return v;
    }

    /** A 16-bit store with release ordering: earlier stores are visible first (ring index and flag publication). */
    public void writeLe16Release(long address, short value) {
        VarHandle.releaseFence();
        writeLe16(address, value);
    }

    /**
     * A 64-bit load with acquire ordering. Packed rings keep a descriptor's len, id and flags in one aligned 8-byte
     * word: one such load reads the flags that hand a descriptor over together with the len and id written before
     * them, where a flags load and a second load of len and id would cost two accesses.
     */
    public long readLe64Acquire(long address) {
        long v = readLe64(address);
        VarHandle.acquireFence();
        return v;
    }

    /**
     * A 64-bit store with release ordering: everything stored before is visible first. Stores a packed descriptor's
     * len, id and flags at once; an aligned 8-byte store is seen whole or not at all, so flags are never seen without
     * the len and id beside them. (A word split across two regions, which only a hostile memory map makes, is stored
     * in parts; that ring is the hostile driver's own.)
     */
    public void writeLe64Release(long address, long value) {
        VarHandle.releaseFence();
        writeLe64(address, value);
    }

    /** Orders earlier stores before later loads (store-load barrier). */
    public static void fullFence() {
        VarHandle.fullFence();
    }

    // ---------------------------------------------------------------- bulk access

    public void read(long address, byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        long off = fastOffset(address, length);
        if (off >= 0) fast.get((int) off, dst, offset, length);
        else regionRead(address, dst, offset, length);
    }

    private void regionRead(long address, byte[] dst, int offset, int length) {
        check(address, length, false);
        spans(address, length, (r, o, done, n) -> r.get(o, dst, offset + (int) done, (int) n));
    }

    public void write(long address, byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        long off = fastOffset(address, length);
        if (off >= 0) fast.put((int) off, src, offset, length);
        else regionWrite(address, src, offset, length);
        if (observed) writes.written(address, length);
    }

    /** {@link #write(long, byte[], int, int)} off the fast chunk; no observer call. */
    private void regionWrite(long address, byte[] src, int offset, int length) {
        check(address, length, true);
        spans(address, length, (r, o, done, n) -> r.put(o, src, offset + (int) done, (int) n));
    }

    /** Reads {@code dst.remaining()} bytes into {@code dst}, advancing its position. */
    public void read(long address, ByteBuffer dst) {
        int length = dst.remaining();
        read(address, dst, dst.position(), length);
        dst.position(dst.position() + length);
    }

    /**
     * Reads {@code length} bytes into {@code dst} from index {@code index} on, leaving its position and limit as they
     * are: a caller moving one buffer's bytes in pieces (a chain cursor) sets no limit per piece.
     */
    public void read(long address, ByteBuffer dst, int index, int length) {
        java.util.Objects.checkFromIndexSize(index, length, dst.limit());
        long off = fastOffset(address, length);
        if (off >= 0) {
            dst.put(index, fast, (int) off, length);
            return;
        }
        check(address, length, false);
        ByteBuffer piece = dst.slice(index, length);
        spans(address, length, (r, o, done, n) -> r.get(o, piece, (int) n));
    }

    /** Writes {@code src.remaining()} bytes from {@code src}, advancing its position. */
    public void write(long address, ByteBuffer src) {
        int length = src.remaining();
        write(address, src, src.position(), length);
        src.position(src.position() + length);
    }

    /** Writes {@code length} bytes of {@code src} from index {@code index} on, leaving its position and limit as they are. */
    public void write(long address, ByteBuffer src, int index, int length) {
        java.util.Objects.checkFromIndexSize(index, length, src.limit());
        long off = fastOffset(address, length);
        if (off >= 0) {
            fast.put((int) off, src, index, length);
        } else {
            check(address, length, true);
            ByteBuffer piece = src.slice(index, length);
            spans(address, length, (r, o, done, n) -> r.put(o, piece, (int) n));
        }
        if (observed) writes.written(address, length);
    }

    public void fill(long address, long length, byte value) {
        check(address, length, true);
        spans(address, length, (r, off, done, n) -> r.fill(off, n, value));
        if (observed) writes.written(address, length);
    }

    // ---------------------------------------------------------------- in-place access

    /**
     * Moves data between guest memory and somewhere else (a file) with guest memory itself as the buffer: what
     * {@link #readVia} and {@link #writeVia} hand each piece of their range to.
     */
    @FunctionalInterface
    public interface Transfer<E extends Exception> {
        /**
         * Moves every byte between {@code view}'s position and limit, advancing the position to the limit (e.g. a
         * positional {@code FileChannel.read(view, filePosition + offset)} loop). {@code view} is a direct buffer over
         * guest memory, valid only during this call: touch nothing outside position..limit and keep no reference.
         *
         * @param offset bytes of the range that came before this piece
         */
        void move(ByteBuffer view, long offset) throws E;
    }

    /**
     * Hands {@code transfer} read-only direct views of {@code [address, address + length)}, in order, to take the
     * bytes out of guest memory with no intermediate copy. Usually one view; one per region where the range spans
     * contiguous regions, and one per 1 GiB chunk of a mapping. Bounds are checked as {@link #read(long, ByteBuffer)}
     * checks them, before {@code transfer} sees anything. The views are reused per thread: nothing is allocated.
     *
     * @throws IllegalStateException when {@code transfer} left bytes of a view unmoved
     */
    public <E extends Exception> void readVia(long address, long length, Transfer<E> transfer) throws E {
        check(address, length, false);
        via(address, length, false, transfer);
    }

    /**
     * Hands {@code transfer} writable direct views of {@code [address, address + length)}, in order, to fill guest
     * memory in place (a file read straight into it). Pieces and bounds as for {@link #readVia}. As {@link #write}
     * does after its copy, the {@link WriteObserver} (the dirty log) is told of each piece once {@code transfer}
     * has returned for it, or thrown: the whole piece then, as some of it may have been written.
     *
     * @throws IllegalStateException when {@code transfer} left bytes of a view unfilled
     */
    public <E extends Exception> void writeVia(long address, long length, Transfer<E> transfer) throws E {
        check(address, length, true);
        via(address, length, true, transfer);
    }

    private <E extends Exception> void via(long address, long length, boolean write, Transfer<E> transfer) throws E {
        ChunkViews views = ChunkViews.acquire(regions);
        try {
            long done = 0;
            while (done < length) {
                long a = address + done;
                int i = indexOf(a);
                ByteBuffer view = views.view(i, a - regions[i].guestPhysical(), length - done, write);
                int n = view.remaining();
                try {
                    transfer.move(view, done);
                } finally {
                    // Reported after the data is in place, never before: a dirty-log reader that clears the bit in
                    // between would otherwise miss the page.
                    if (write) writes.written(a, n);
                }
                if (view.hasRemaining()) {
                    throw new IllegalStateException(view.remaining() + " of " + n + " bytes at 0x" + Long.toHexString(a)
                            + " were not " + (write ? "filled" : "taken"));
                }
                done += n;
            }
        } finally {
            views.release();
        }
    }

    /** One piece of a range that lies in a single region: region-relative offset, bytes before it, its length. */
    @FunctionalInterface
    private interface Span {
        void apply(MemoryRegion region, long offset, long done, long length);
    }

    /** Splits a checked range into per-region pieces (several only where contiguous regions meet). */
    private void spans(long address, long length, Span span) {
        long a = address;
        long done = 0;
        while (done < length) {
            MemoryRegion r = regions[indexOf(a)];
            long n = Math.min(length - done, r.guestEnd() - a);
            span.apply(r, a - r.guestPhysical(), done, n);
            a += n;
            done += n;
        }
    }

    // ---------------------------------------------------------------- lookup

    /**
     * Where {@code [address, address + length)} starts in the fast chunk when all of it lies there, else -1.
     * {@code length} is not negative. The subtraction cannot wrap into the chunk: a region ends at or below
     * {@code Long.MAX_VALUE}, so an address below {@code fastStart} wraps, if at all, to more than {@code fastLength}.
     * The first byte must be inside the chunk even for an empty range, as {@link #contains} wants it in the map.
     */
    private long fastOffset(long address, long length) {
        long off = address - fastStart;
        return off >= 0 && off < fastLength && length <= fastLength - off ? off : -1;
    }

    /**
     * {@link #fastOffset} for a scalar of {@code size} (1..8, a constant at every call) bytes: the first byte is then
     * inside the chunk whenever the last is, so two compares decide.
     */
    private long fastScalar(long address, int size) {
        long off = address - fastStart;
        return off >= 0 && off <= fastLength - size ? off : -1;
    }

    /** The region holding the whole range, null when the range is valid but spans contiguous regions. */
    private MemoryRegion region(long address, int length, boolean write) {
        int i = address < 0 ? -1 : indexOf(address);
        if (i >= 0 && address <= ends[i] - length) return regions[i];
        check(address, length, write);
        return null;
    }

    private void check(long address, long length, boolean write) {
        if (!contains(address, length)) {
            guard.outOfRange(address, length, write);
            throw new GuestMemoryException(address, length, "outside the guest memory map");
        }
    }

    private long readSlow(long address, int length) {
        byte[] b = new byte[length];
        read(address, b, 0, length);
        long v = 0;
        for (int k = length - 1; k >= 0; k--) v = v << 8 | (b[k] & 0xff);
        return v;
    }

    private void writeSlow(long address, int length, long value) {
        byte[] b = new byte[length];
        for (int k = 0; k < length; k++) b[k] = (byte) (value >>> (8 * k));
        spans(address, length, (r, off, done, n) -> r.put(off, b, (int) done, (int) n));
    }

    /** Index of the region containing {@code address}, or -1. */
    private int indexOf(long address) {
        if (address >= firstStart && address < firstEnd) return 0;
        int lo = 0;
        int hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= address) lo = mid + 1;
            else hi = mid - 1;
        }
        return hi >= 0 && address < ends[hi] ? hi : -1;
    }
}
