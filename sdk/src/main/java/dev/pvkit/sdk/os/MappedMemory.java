package dev.pvkit.sdk.os;

import com.sun.jna.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A range of mapped native memory exposed as little-endian direct {@link ByteBuffer}s of at most
 * {@value #CHUNK_SIZE} bytes each, so mappings larger than 2 GiB work. Every access through the buffers is
 * bounds checked by the JDK: a wrong offset throws, it never touches memory outside the mapping. ({@code
 * GuestMemory} also loads and stores ring words at {@link #address()} plus an offset, after its own range check.)
 */
public final class MappedMemory implements AutoCloseable {

    /** log2 of the chunk size: 1 GiB chunks keep int offsets inside a chunk. */
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;

    private final long address;
    private final long length;
    private final ByteBuffer[] chunks;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MappedMemory(long address, long length, Runnable release) {
        if (length <= 0) throw new IllegalArgumentException("mapping length must be positive, got " + length);
        this.address = address;
        this.length = length;
        this.release = release;
        int n = (int) ((length + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
        this.chunks = new ByteBuffer[n];
        Pointer base = new Pointer(address);
        for (int i = 0; i < n; i++) {
            long off = (long) i << CHUNK_SHIFT;
            chunks[i] = base.getByteBuffer(off, Math.min(CHUNK_SIZE, length - off)).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Private anonymous memory of {@code length} bytes (test guests, scratch space). */
    public static MappedMemory anonymous(long length) {
        long addr = Syscalls.mmapAnonymous(length, Syscalls.PROT_READ | Syscalls.PROT_WRITE);
        return new MappedMemory(addr, length, () -> Syscalls.munmap(addr, length));
    }

    /** A shared mapping of {@code length} bytes of {@code fd} starting at file offset {@code offset}. */
    public static MappedMemory shared(int fd, long offset, long length) {
        long addr = Syscalls.mmapShared(fd, length, offset);
        return new MappedMemory(addr, length, () -> Syscalls.munmap(addr, length));
    }

    /**
     * A shared mapping of exactly {@code length} bytes of {@code fd} from file offset {@code offset}, which need not
     * be page aligned: mmap wants an offset that is a multiple of the file's page size ({@link Syscalls#pageSizeOf},
     * huge pages included), so the mapping starts at the page holding {@code offset} and this view skips the few
     * bytes before it. Only the pages holding the range are mapped — not the file from offset 0, which for a region
     * high in a large guest RAM file would map (and expose) everything below it as well. Closing unmaps them.
     */
    public static MappedMemory sharedRange(int fd, long offset, long length) {
        if (offset < 0 || length <= 0 || offset > Long.MAX_VALUE - length) {
            throw new IllegalArgumentException("file range " + offset + "+" + length + " is empty or overflows");
        }
        long page = Syscalls.pageSizeOf(fd);
        long start = offset - offset % page;
        long lead = offset - start;
        if (lead + length > Long.MAX_VALUE - page) throw new IllegalArgumentException("file range " + offset + "+" + length + " overflows");
        long mapped = (lead + length + page - 1) / page * page; // whole pages: hugetlbfs unmaps nothing less
        long addr = Syscalls.mmapShared(fd, mapped, start);
        return new MappedMemory(addr + lead, length, () -> Syscalls.munmap(addr, mapped));
    }

    /**
     * A view of part of another mapping; closing the view releases nothing. Used for a region that starts at an
     * offset inside a larger mapping.
     */
    public MappedMemory slice(long offset, long sliceLength) {
        if (offset < 0 || sliceLength <= 0 || offset > length - sliceLength) {
            throw new IllegalArgumentException("slice " + offset + "+" + sliceLength + " outside mapping of " + length);
        }
        return new MappedMemory(address + offset, sliceLength, () -> { });
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }

    /** The chunk holding byte {@code offset}. */
    public ByteBuffer chunkAt(long offset) {
        return chunks[(int) (offset >>> CHUNK_SHIFT)];
    }

    public int chunkCount() {
        return chunks.length;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) release.run();
    }
}
