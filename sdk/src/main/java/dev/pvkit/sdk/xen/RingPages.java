package dev.pvkit.sdk.xen;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The bytes of a shared ring: one or more granted pages seen as one address range. The 64-byte header lies in page
 * 0; slots may straddle a page boundary in a multi-page ring, so slot copies go through {@link #copyOut} and
 * {@link #copyIn}. Header words are read with acquire and written with release semantics: the other end is another
 * CPU writing the same memory.
 */
public final class RingPages {
    public static final int PAGE = GrantMapping.PAGE_SIZE;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final ByteBuffer[] pages;

    /** @param pages direct buffers of 4096 bytes each (atomic access needs direct memory) */
    public RingPages(ByteBuffer... pages) {
        if (pages.length == 0) throw new IllegalArgumentException("a ring has at least one page");
        this.pages = new ByteBuffer[pages.length];
        for (int i = 0; i < pages.length; i++) {
            if (pages[i].capacity() < PAGE || !pages[i].isDirect()) {
                throw new IllegalArgumentException("ring page " + i + " is not a direct 4096-byte buffer");
            }
            this.pages[i] = pages[i].duplicate().order(ByteOrder.LITTLE_ENDIAN).clear();
        }
    }

    public static RingPages of(GrantMapping mapping) {
        ByteBuffer[] p = new ByteBuffer[mapping.pages()];
        for (int i = 0; i < p.length; i++) p[i] = mapping.page(i);
        return new RingPages(p);
    }

    public int pageCount() {
        return pages.length;
    }

    public int size() {
        return pages.length * PAGE;
    }

    /** A header word (offset 0–63, 4-aligned), read with acquire semantics. */
    public int headerAcquire(int offset) {
        return (int) INT.getAcquire(pages[0], offset);
    }

    /** A header word, written with release semantics: everything written before is visible first. */
    public void headerRelease(int offset, int value) {
        INT.setRelease(pages[0], offset, value);
    }

    /** Copies {@code dst.remaining()} bytes from ring offset {@code offset} into {@code dst}. */
    public void copyOut(int offset, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            ByteBuffer page = pages[offset / PAGE];
            int in = offset % PAGE;
            int n = Math.min(dst.remaining(), PAGE - in);
            dst.put(dst.position(), page, in, n);
            dst.position(dst.position() + n);
            offset += n;
        }
    }

    /** Copies {@code src.remaining()} bytes from {@code src} to ring offset {@code offset}. */
    public void copyIn(int offset, ByteBuffer src) {
        while (src.hasRemaining()) {
            ByteBuffer page = pages[offset / PAGE];
            int in = offset % PAGE;
            int n = Math.min(src.remaining(), PAGE - in);
            page.put(in, src, src.position(), n);
            src.position(src.position() + n);
            offset += n;
        }
    }

    /** Whether bytes [from, to) of page 0 are all zero. */
    public boolean zero(int from, int to) {
        for (int i = from; i < to; i++) if (pages[0].get(i) != 0) return false;
        return true;
    }
}
