package dev.pvkit.sdk.xen;

import java.nio.ByteBuffer;

/**
 * Granted pages mapped into this process. Each page is its own 4096-byte buffer (a mapping need not be contiguous);
 * {@link #close()} unmaps them all, after which the buffers must not be touched.
 */
public interface GrantMapping extends AutoCloseable {
    int PAGE_SIZE = 4096;

    int pages();

    /** Page {@code i}, positioned at 0 with limit 4096, little-endian. A fresh view per call. */
    ByteBuffer page(int i);

    boolean writable();

    @Override
    void close();
}
