package dev.pvkit.sdk.os;

/** An anonymous memory file: the way a guest's RAM is shared between a front-end and a back-end. */
public final class Memfd implements AutoCloseable {
    private final int fd;
    private final long size;
    private boolean closed;

    private Memfd(int fd, long size) {
        this.fd = fd;
        this.size = size;
    }

    public static Memfd create(String name, long size) {
        return new Memfd(Syscalls.memfdCreate(name, size), size);
    }

    /** A memory file of {@code hugePageSize} huge pages (see {@link Syscalls#hugeMemfdCreate}). */
    public static Memfd createHuge(String name, long size, long hugePageSize) {
        return new Memfd(Syscalls.hugeMemfdCreate(name, size, hugePageSize), size);
    }

    /**
     * Seals the file's size (F_SEAL_SHRINK | F_SEAL_GROW), as QEMU's memory-backend-memfd does by default: a
     * back-end it is shared with can then trust that its mapping stays backed. Irrevocable.
     */
    public Memfd sealSize() {
        Syscalls.addSeals(fd, Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW);
        return this;
    }

    public int fd() {
        return fd;
    }

    public long size() {
        return size;
    }

    /** Maps the whole file, shared. The mapping stays valid after the file descriptor is closed. */
    public MappedMemory map() {
        return MappedMemory.shared(fd, 0, size);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Syscalls.close(fd);
        }
    }
}
