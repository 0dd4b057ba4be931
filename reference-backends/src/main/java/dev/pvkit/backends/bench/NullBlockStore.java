package dev.pvkit.backends.bench;

import dev.pvkit.backends.blk.BlockStore;

import java.nio.ByteBuffer;

/** Reads return zeroes, writes vanish: the counterpart of qemu-storage-daemon's null-co, to measure a back-end alone. */
public final class NullBlockStore implements BlockStore {
    private static final byte[] ZEROES = new byte[64 * 1024];
    private final long size;

    public NullBlockStore(long size) {
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) {
        while (dst.hasRemaining()) dst.put(ZEROES, 0, Math.min(ZEROES.length, dst.remaining()));
    }

    @Override
    public void write(long offset, ByteBuffer src) {
        src.position(src.limit());
    }

    @Override
    public void flush() {
    }

    @Override
    public void discard(long offset, long length) {
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) {
    }

    @Override
    public boolean answersFromMemory() {
        return true;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public void close() {
    }
}
