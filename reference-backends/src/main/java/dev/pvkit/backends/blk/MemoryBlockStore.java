package dev.pvkit.backends.blk;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A RAM disk of 64 KiB pages allocated on first write, so a large, mostly empty disk costs little; discard and
 * unmapping write-zeroes free whole pages. Not durable: flush does nothing. One lock guards the page table.
 */
public final class MemoryBlockStore implements BlockStore {
    static final int PAGE = 64 * 1024;

    private final long size;
    private final byte[][] pages;
    private final boolean readOnly;

    public MemoryBlockStore(long size) {
        this(size, false);
    }

    public MemoryBlockStore(long size, boolean readOnly) {
        if (size < 0) throw new IllegalArgumentException("negative size");
        long count = (size + PAGE - 1) / PAGE;
        if (count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("too large: " + size);
        this.size = size;
        this.pages = new byte[(int) count][];
        this.readOnly = readOnly;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) {
        check(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int page = (int) (pos / PAGE);
            int off = (int) (pos % PAGE);
            int n = Math.min(dst.remaining(), PAGE - off);
            byte[] p = pages[page];
            if (p == null) {
                for (int i = 0; i < n; i++) dst.put((byte) 0);
            } else {
                dst.put(p, off, n);
            }
            pos += n;
        }
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) {
        requireWritable();
        check(offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            int page = (int) (pos / PAGE);
            int off = (int) (pos % PAGE);
            int n = Math.min(src.remaining(), PAGE - off);
            if (pages[page] == null) pages[page] = new byte[PAGE];
            src.get(pages[page], off, n);
            pos += n;
        }
    }

    @Override
    public void flush() {
        // Nothing is volatile beyond this process.
    }

    @Override
    public synchronized void discard(long offset, long length) {
        zero(offset, length);
    }

    @Override
    public synchronized void writeZeroes(long offset, long length, boolean mayUnmap) {
        zero(offset, length);
    }

    /** Zeroes a range: whole pages are freed, partial ones cleared. */
    private void zero(long offset, long length) {
        requireWritable();
        check(offset, length);
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int page = (int) (pos / PAGE);
            int off = (int) (pos % PAGE);
            int n = (int) Math.min(end - pos, PAGE - off);
            if (n == PAGE) {
                pages[page] = null;
            } else if (pages[page] != null) {
                Arrays.fill(pages[page], off, off + n, (byte) 0);
            }
            pos += n;
        }
    }

    @Override
    public boolean answersFromMemory() {
        return true;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void requireWritable() {
        if (readOnly) throw new IllegalStateException("read-only store");
    }

    private void check(long offset, long length) {
        if (offset < 0 || length < 0 || length > size - offset) {
            throw new IndexOutOfBoundsException("range " + offset + "+" + length + " outside a " + size + "-byte store");
        }
    }

    @Override
    public void close() {
    }
}
