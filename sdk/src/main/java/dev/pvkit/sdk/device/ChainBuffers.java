package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

/**
 * A chain's buffers of one direction as one range of bytes, offset 0 being the first byte of the first segment:
 * what {@link ReadableBuffers} and {@link WritableBuffers} share. Every access is checked against the range and
 * goes to guest memory directly, no copy kept. Not thread-safe: one thread serves a request at a time.
 */
abstract sealed class ChainBuffers permits ReadableBuffers, WritableBuffers {
    final GuestMemory memory;
    private final Chain chain;
    /** The chain's buffers this range covers: {@code first} up to, not including, {@code end}. */
    private final int first;
    private final int end;
    private final long length;

    /** What {@link #via} hands pieces to, and where the current piece starts in its range. */
    private GuestMemory.Transfer<?> target;
    private long pieceBase;
    private GuestMemory.Transfer<Exception> relay;

    ChainBuffers(GuestMemory memory, Chain chain, int first, int end, long length) {
        this.memory = memory;
        this.chain = chain;
        this.first = first;
        this.end = end;
        this.length = length;
    }

    /** Bytes in the range: the sum of the segments' lengths. */
    public final long length() {
        return length;
    }

    final void check(long at, long n) {
        if (at < 0 || n < 0 || at > length - n) {
            throw new IndexOutOfBoundsException("bytes " + at + ".." + (at + n) + " of a " + length + "-byte range");
        }
    }

    /** The guest address of byte {@code at}, which the caller checked is in range. */
    final long address(long at) {
        long skipped = 0;
        for (int i = first; i < end; i++) {
            long len = chain.bufferLength(i);
            if (at - skipped < len) return chain.bufferAddress(i) + (at - skipped);
            skipped += len;
        }
        throw new IndexOutOfBoundsException("byte " + at + " is past the range's buffers");
    }

    /** The bytes of segment containing {@code at} from there on (at least 1), which the caller checked is in range. */
    final long contiguousFrom(long at) {
        long skipped = 0;
        for (int i = first; i < end; i++) {
            long len = chain.bufferLength(i);
            if (at - skipped < len) return len - (at - skipped);
            skipped += len;
        }
        throw new IndexOutOfBoundsException("byte " + at + " is past the range's buffers");
    }

    /** {@code n} (≤ 8) bytes from {@code at}, little-endian, in one read when one segment holds them. */
    final long readLittleEndian(long at, int n) {
        check(at, n);
        if (contiguousFrom(at) >= n) {
            long a = address(at);
            return switch (n) {
                case 1 -> memory.readU8(a) & 0xffL;
                case 2 -> memory.readLe16(a) & 0xffffL;
                case 4 -> memory.readLe32(a) & 0xffffffffL;
                case 8 -> memory.readLe64(a);
                default -> throw new IllegalArgumentException("width " + n);
            };
        }
        long v = 0;
        for (int i = 0; i < n; i++) v |= (memory.readU8(address(at + i)) & 0xffL) << (8 * i);
        return v;
    }

    /** {@code n} (≤ 8) bytes of {@code value} at {@code at}, little-endian, in one write when one segment holds them. */
    final void writeLittleEndian(long at, int n, long value) {
        check(at, n);
        if (contiguousFrom(at) >= n) {
            long a = address(at);
            switch (n) {
                case 1 -> memory.writeU8(a, (byte) value);
                case 2 -> memory.writeLe16(a, (short) value);
                case 4 -> memory.writeLe32(a, (int) value);
                case 8 -> memory.writeLe64(a, value);
                default -> throw new IllegalArgumentException("width " + n);
            }
            return;
        }
        for (int i = 0; i < n; i++) memory.writeU8(address(at + i), (byte) (value >>> (8 * i)));
    }

    /** Copies {@code n} bytes between {@code at} and {@code bytes[offset..]}, segment by segment. */
    final void copy(long at, byte[] bytes, int offset, int n, boolean intoGuest) {
        check(at, n);
        java.util.Objects.checkFromIndexSize(offset, n, bytes.length);
        int done = 0;
        while (done < n) {
            int piece = (int) Math.min(n - done, contiguousFrom(at + done));
            long a = address(at + done);
            if (intoGuest) memory.write(a, bytes, offset + done, piece);
            else memory.read(a, bytes, offset + done, piece);
            done += piece;
        }
    }

    /**
     * Hands {@code transfer} direct views of guest memory over {@code [at, at + n)}, segment by segment, its offsets
     * counted from {@code at}: {@link GuestMemory#writeVia} when {@code intoGuest}, else {@link GuestMemory#readVia}.
     */
    @SuppressWarnings("unchecked")
    final <E extends Exception> void via(long at, long n, boolean intoGuest, GuestMemory.Transfer<E> transfer) throws E {
        check(at, n);
        if (target != null) throw new IllegalStateException("a transfer over these buffers is already running");
        if (n == 0) return;
        if (contiguousFrom(at) >= n) {
            // One segment (a data buffer usually is): its offsets are the transfer's own, so no relay is made.
            if (intoGuest) memory.writeVia(address(at), n, transfer);
            else memory.readVia(address(at), n, transfer);
            return;
        }
        if (relay == null) relay = (view, offset) -> ((GuestMemory.Transfer<Exception>) target).move(view, pieceBase + offset);
        // The relay only ever throws what transfer throws: E, whatever its declared type says.
        GuestMemory.Transfer<E> through = (GuestMemory.Transfer<E>) (GuestMemory.Transfer<?>) relay;
        target = transfer;
        try {
            long done = 0;
            while (done < n) {
                long piece = Math.min(n - done, contiguousFrom(at + done));
                pieceBase = done;
                if (intoGuest) memory.writeVia(address(at + done), piece, through);
                else memory.readVia(address(at + done), piece, through);
                done += piece;
            }
        } finally {
            target = null;
        }
    }
}
