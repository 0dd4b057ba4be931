package dev.pvkit.backends.blk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Set;

/**
 * A store on a file or block device node, through positioned {@link FileChannel} I/O (thread-safe, no shared file
 * position). Writes go to the page cache; {@link #flush()} is {@code force(false)}, i.e. fdatasync, which is what
 * makes a completed FLUSH durable.
 */
public final class FileBlockStore implements BlockStore {
    private static final int ZERO_CHUNK = 64 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final boolean readOnly;

    private FileBlockStore(Path path, FileChannel channel, long size, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.readOnly = readOnly;
    }

    /** Opens an existing file; its current length is the store's size. */
    public static FileBlockStore open(Path path, boolean readOnly) throws IOException {
        Set<StandardOpenOption> opts = readOnly ? EnumSet.of(StandardOpenOption.READ)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel ch = FileChannel.open(path, opts);
        return new FileBlockStore(path, ch, ch.size(), readOnly);
    }

    /** Opens {@code path} read-write, creating it and extending it (sparsely) to {@code size} bytes if shorter. */
    public static FileBlockStore create(Path path, long size) throws IOException {
        if (size < 0) throw new IllegalArgumentException("negative size");
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            if (ch.size() < size) ch.write(ByteBuffer.allocate(1), size - 1);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new FileBlockStore(path, ch, Math.max(size, ch.size()), false);
    }

    public Path path() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                // Past the end of a file that shrank under us: report zeroes rather than spin.
                while (dst.hasRemaining()) dst.put((byte) 0);
                return;
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        requireWritable();
        long pos = offset;
        while (src.hasRemaining()) pos += channel.write(src, pos);
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    /** Java cannot punch holes portably, so discard keeps the data: allowed, as discarded content is unspecified. */
    @Override
    public void discard(long offset, long length) throws IOException {
        requireWritable();
    }

    @Override
    public void writeZeroes(long offset, long length, boolean mayUnmap) throws IOException {
        requireWritable();
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, ZERO_CHUNK));
        for (long done = 0; done < length; ) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), length - done));
            int n = zeros.remaining();
            write(offset + done, zeros);
            done += n;
        }
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    private void requireWritable() throws IOException {
        if (readOnly) throw new IOException(path + " is open read-only");
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
