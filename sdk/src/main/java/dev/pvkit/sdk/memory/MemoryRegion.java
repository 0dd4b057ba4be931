package dev.pvkit.sdk.memory;

import dev.pvkit.sdk.os.MappedMemory;

import java.nio.ByteBuffer;

/**
 * One contiguous piece of guest RAM: where the guest sees it (guest-physical address), where the front-end
 * process has it mapped (its virtual address, which vhost-user ring addresses use), and where this process
 * has it mapped. Offsets given to the accessors are region-relative and must already be bounds checked by
 * {@link GuestMemory}; the JDK's buffer checks still stop any slip here (but not in {@link GuestMemory}'s scalar
 * accesses to its fast chunk, which use native addresses after its own check).
 *
 * @param guestPhysical first guest-physical address
 * @param size          bytes
 * @param userAddress   the front-end's virtual address of the first byte (0 when there is no front-end)
 * @param mapping       this process's mapping of exactly {@code size} bytes
 */
public record MemoryRegion(long guestPhysical, long size, long userAddress, MappedMemory mapping) {

    public MemoryRegion {
        if (size <= 0) throw new IllegalArgumentException("region size must be positive, got " + size);
        if (guestPhysical < 0 || guestPhysical > Long.MAX_VALUE - size) {
            throw new IllegalArgumentException(String.format("region 0x%x+%d wraps the address space", guestPhysical, size));
        }
        if (userAddress != 0 && Long.compareUnsigned(userAddress, -1L - size) > 0) {
            throw new IllegalArgumentException(String.format("user address 0x%x+%d wraps the address space", userAddress, size));
        }
        if (mapping.length() != size) {
            throw new IllegalArgumentException("mapping of " + mapping.length() + " bytes for a region of " + size);
        }
    }

    /** One past the last guest-physical address. */
    public long guestEnd() {
        return guestPhysical + size;
    }

    byte get(long off) {
        return mapping.chunkAt(off).get(inChunk(off));
    }

    void put(long off, byte v) {
        mapping.chunkAt(off).put(inChunk(off), v);
    }

    short getShort(long off) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 2) return b.getShort(i);
        return (short) ((get(off) & 0xff) | (get(off + 1) & 0xff) << 8);
    }

    void putShort(long off, short v) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 2) {
            b.putShort(i, v);
        } else {
            put(off, (byte) v);
            put(off + 1, (byte) (v >>> 8));
        }
    }

    int getInt(long off) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 4) return b.getInt(i);
        return (getShort(off) & 0xffff) | (getShort(off + 2) & 0xffff) << 16;
    }

    void putInt(long off, int v) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 4) {
            b.putInt(i, v);
        } else {
            putShort(off, (short) v);
            putShort(off + 2, (short) (v >>> 16));
        }
    }

    long getLong(long off) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 8) return b.getLong(i);
        return (getInt(off) & 0xffffffffL) | (long) getInt(off + 4) << 32;
    }

    void putLong(long off, long v) {
        int i = inChunk(off);
        ByteBuffer b = mapping.chunkAt(off);
        if (i <= b.limit() - 8) {
            b.putLong(i, v);
        } else {
            putInt(off, (int) v);
            putInt(off + 4, (int) (v >>> 32));
        }
    }

    /** Copies {@code len} bytes at {@code off} into {@code dst[dstOff..]}, across chunk boundaries. */
    void get(long off, byte[] dst, int dstOff, int len) {
        chunks(off, len, (b, i, done, n) -> b.get(i, dst, dstOff + (int) done, n));
    }

    void put(long off, byte[] src, int srcOff, int len) {
        chunks(off, len, (b, i, done, n) -> b.put(i, src, srcOff + (int) done, n));
    }

    /** Copies into {@code dst} from its position, advancing it by {@code len}. */
    void get(long off, ByteBuffer dst, int len) {
        chunks(off, len, (b, i, done, n) -> {
            dst.put(dst.position(), b, i, n);
            dst.position(dst.position() + n);
        });
    }

    /** Copies from {@code src} at its position, advancing it by {@code len}. */
    void put(long off, ByteBuffer src, int len) {
        chunks(off, len, (b, i, done, n) -> {
            b.put(i, src, src.position(), n);
            src.position(src.position() + n);
        });
    }

    void fill(long off, long len, byte value) {
        chunks(off, len, (b, i, done, n) -> {
            for (int k = 0; k < n; k++) b.put(i + k, value);
        });
    }

    /** A piece of a range inside one chunk: the chunk, the index in it, bytes before the piece, its length. */
    @FunctionalInterface
    private interface ChunkSpan {
        void apply(ByteBuffer chunk, int index, long done, int length);
    }

    private void chunks(long off, long len, ChunkSpan span) {
        long done = 0;
        while (done < len) {
            ByteBuffer b = mapping.chunkAt(off + done);
            int i = inChunk(off + done);
            int n = (int) Math.min(len - done, b.limit() - i);
            span.apply(b, i, done, n);
            done += n;
        }
    }

    private static int inChunk(long off) {
        return (int) (off & (MappedMemory.CHUNK_SIZE - 1));
    }
}
