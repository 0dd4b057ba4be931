package dev.pvkit.backends.blk;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Backing storage addressed in bytes: no sectors, no virtio. Implementations must be safe for concurrent use,
 * since every request queue of a device runs on its own worker thread.
 */
public interface BlockStore extends AutoCloseable {

    /** Size in bytes. */
    long size();

    /** Reads {@code dst.remaining()} bytes at {@code offset}, filling {@code dst} completely. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src.remaining()} bytes at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (a file store: fdatasync). */
    void flush() throws IOException;

    /** The range's content becomes unspecified; the store may deallocate it. */
    void discard(long offset, long length) throws IOException;

    /** The range reads back as zeroes afterwards; with {@code mayUnmap} the store may deallocate it too. */
    void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException;

    /** Whether the store refuses writes. */
    boolean readOnly();

    /**
     * Whether every operation is answered from memory within microseconds, flush included (a memory or null store);
     * not a file, whose flush waits for the disk. The device then lets the SDK publish its completions in batches.
     */
    default boolean answersFromMemory() {
        return false;
    }

    @Override
    void close() throws IOException;
}
