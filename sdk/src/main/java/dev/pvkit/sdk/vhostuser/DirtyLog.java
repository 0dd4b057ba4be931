package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.WriteObserver;
import dev.pvkit.sdk.os.MappedMemory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The dirty-page bitmap shared with the front-end for live migration (SET_LOG_BASE): one bit per 4 KiB page of
 * guest-physical memory, bit {@code page % 8} of byte {@code page / 8}, set with an atomic OR because the
 * front-end reads and clears it concurrently. Every write the back-end makes into guest memory — buffer data and
 * used-ring updates alike — goes through {@link #written}.
 *
 * <p>The atomic OR is only used on a file sealed against shrinking (QEMU seals its log memfd). An atomic update of
 * a page the front-end truncated away raises SIGBUS inside the JVM's compare-and-set, which HotSpot does not turn
 * into an exception: the process dies. On an unsealed file the OR is a plain read and write of the word, which
 * fault as an {@code InternalError} that stops the ring; this process's writers take turns on a lock, and the
 * front-end only ever clears bits (QEMU exchanges each word with 0), so the worst a race with it does is log a
 * page twice — never miss one.
 */
final class DirtyLog implements WriteObserver, AutoCloseable {
    static final int PAGE_SHIFT = 12;
    private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final MappedMemory bitmap;
    private final long bits;
    private final boolean shrinkSealed;
    private final Object plainWriters = new Object();

    /**
     * {@code bitmap} maps exactly the front-end's bitmap, {@code shrinkSealed} when its file cannot shrink; closing
     * this unmaps it.
     */
    DirtyLog(MappedMemory bitmap, boolean shrinkSealed) {
        this.bitmap = bitmap;
        this.bits = bitmap.length() * 8;
        this.shrinkSealed = shrinkSealed;
    }

    @Override
    public void written(long guestPhysical, long length) {
        if (length <= 0) return;
        long first = guestPhysical >>> PAGE_SHIFT;
        long last = (guestPhysical + length - 1) >>> PAGE_SHIFT;
        for (long page = first; page <= last && page < bits; page++) mark(page);
    }

    private void mark(long page) {
        long byteIndex = page >>> 3;
        long word = byteIndex & ~7L; // OR into the aligned 64-bit word holding that byte
        ByteBuffer chunk = bitmap.chunkAt(word);
        int at = (int) (word & (MappedMemory.CHUNK_SIZE - 1));
        long mask = 1L << (((byteIndex & 7) << 3) + (page & 7));
        if (at + 8 <= chunk.limit() && ((bitmap.address() + word) & 7) == 0) {
            if (shrinkSealed) {
                LONGS.getAndBitwiseOr(chunk, at, mask);
            } else {
                synchronized (plainWriters) {
                    LONGS.set(chunk, at, (long) LONGS.get(chunk, at) | mask);
                }
            }
        } else {
            // A bitmap whose tail or start is not 8-byte aligned: plain read-modify-write of that one byte.
            int b = (int) ((byteIndex) & (MappedMemory.CHUNK_SIZE - 1));
            ByteBuffer c = bitmap.chunkAt(byteIndex);
            synchronized (plainWriters) {
                c.put(b, (byte) (c.get(b) | (1 << (page & 7))));
            }
        }
    }

    @Override
    public void close() {
        bitmap.close();
    }
}
