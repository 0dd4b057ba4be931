package dev.pvkit.backends.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * A store that passes every call on to another store. Extend it and override only the calls you want to count,
 * check, delay or fail (fault injection, tracing); everything else behaves as the wrapped store does. Overrides
 * must stay safe for concurrent use, as {@link BlockStore} requires.
 */
public abstract class ForwardingBlockStore implements BlockStore {
    private final BlockStore delegate;

    protected ForwardingBlockStore(BlockStore delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The store every call is passed on to. */
    protected final BlockStore delegate() {
        return delegate;
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        delegate.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        delegate.flush();
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        delegate.discard(offset, length);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        delegate.writeZeroes(offset, length, mayUnmap);
    }

    @Override
    public boolean readOnly() {
        return delegate.readOnly();
    }

    /** As the delegate's: a subclass that makes calls slow (a test's stalling store) says false. */
    @Override
    public boolean answersFromMemory() {
        return delegate.answersFromMemory();
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
