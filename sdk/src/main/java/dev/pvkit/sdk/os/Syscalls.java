package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Checked wrappers over {@link LibC}: every failure becomes a {@link NativeCallException} saying which call failed. */
public final class Syscalls {
    private Syscalls() {
    }

    public static final int PROT_NONE = LibC.PROT_NONE;
    public static final int PROT_READ = LibC.PROT_READ;
    public static final int PROT_WRITE = LibC.PROT_WRITE;

    /** Maps {@code length} bytes of {@code fd} at {@code offset}, shared, read-write. */
    public static long mmapShared(int fd, long length, long offset) {
        return mmap(length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, offset);
    }

    /** Maps {@code length} bytes of private anonymous memory; pages are only backed once touched. */
    public static long mmapAnonymous(long length, int prot) {
        return mmap(length, prot, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
    }

    private static long mmap(long length, int prot, int flags, int fd, long offset) {
        try {
            long addr = LibC.mmap(0, length, prot, flags, fd, offset);
            if (addr == LibC.MAP_FAILED) throw new NativeCallException("mmap", 0, "length " + length);
            return addr;
        } catch (LastErrorException e) {
            throw new NativeCallException("mmap", e.getErrorCode(), "fd " + fd + ", length " + length + ", offset " + offset);
        }
    }

    public static void munmap(long address, long length) {
        try {
            LibC.munmap(address, length);
        } catch (LastErrorException e) {
            throw new NativeCallException("munmap", e.getErrorCode(), "length " + length);
        }
    }

    public static void mprotect(long address, long length, int prot) {
        try {
            LibC.mprotect(address, length, prot);
        } catch (LastErrorException e) {
            throw new NativeCallException("mprotect", e.getErrorCode(), "length " + length);
        }
    }

    /** Creates an anonymous memory file (close-on-exec, sealable) of {@code size} bytes. */
    public static int memfdCreate(String name, long size) {
        return memfdCreate(name, size, 0);
    }

    /**
     * A memfd on hugetlbfs with pages of {@code hugePageSize} bytes (a power of two, e.g. 2 MiB), as QEMU's
     * {@code memory-backend-memfd,hugetlb=on} makes; {@code size} a multiple of it. Fails (ENOMEM at the first
     * touch, or EINVAL here) unless enough huge pages are reserved (/proc/sys/vm/nr_hugepages).
     */
    public static int hugeMemfdCreate(String name, long size, long hugePageSize) {
        if (Long.bitCount(hugePageSize) != 1 || size % hugePageSize != 0) {
            throw new IllegalArgumentException("huge memfd " + name + ": size " + size + " is not a multiple of a huge page size "
                    + hugePageSize);
        }
        return memfdCreate(name, size, LibC.MFD_HUGETLB | Long.numberOfTrailingZeros(hugePageSize) << LibC.MFD_HUGE_SHIFT);
    }

    private static int memfdCreate(String name, long size, int extraFlags) {
        int fd;
        try {
            fd = LibC.memfd_create(name, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING | extraFlags);
        } catch (LastErrorException e) {
            throw new NativeCallException("memfd_create", e.getErrorCode(), name);
        }
        try {
            LibC.ftruncate(fd, size);
        } catch (LastErrorException e) {
            closeQuietly(fd);
            throw new NativeCallException("ftruncate", e.getErrorCode(), "memfd " + name + ", size " + size);
        }
        return fd;
    }

    public static final int F_SEAL_SEAL = 0x0001;
    public static final int F_SEAL_SHRINK = 0x0002;
    public static final int F_SEAL_GROW = 0x0004;

    /**
     * The seals on {@code fd}'s file (F_GET_SEALS); 0 for a file that cannot carry seals (EINVAL: not shmem or
     * hugetlbfs), as nothing stops such a file from shrinking either.
     */
    public static int seals(int fd) {
        try {
            return LibC.fcntl(fd, LibC.F_GET_SEALS, 0);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 22) return 0; // EINVAL
            throw new NativeCallException("fcntl(F_GET_SEALS)", e.getErrorCode(), "fd " + fd);
        }
    }

    /** Adds {@code seals} to {@code fd}'s file (F_ADD_SEALS); the file must have been created sealable. */
    public static void addSeals(int fd, int seals) {
        try {
            LibC.fcntl(fd, LibC.F_ADD_SEALS, seals);
        } catch (LastErrorException e) {
            throw new NativeCallException("fcntl(F_ADD_SEALS)", e.getErrorCode(), "fd " + fd + ", seals 0x" + Integer.toHexString(seals));
        }
    }

    /** Sets the size of the file behind {@code fd} (a test's hostile front-end shrinks a memfd it shared with this). */
    public static void ftruncate(int fd, long size) {
        try {
            LibC.ftruncate(fd, size);
        } catch (LastErrorException e) {
            throw new NativeCallException("ftruncate", e.getErrorCode(), "fd " + fd + ", size " + size);
        }
    }

    /**
     * The size of the file behind {@code fd}. A mapping must never reach past it: touching such pages raises SIGBUS,
     * which would kill the JVM, so a region larger than its file is refused before mapping.
     */
    public static long fileSize(int fd) {
        try {
            return LibC.lseek(fd, 0, LibC.SEEK_END);
        } catch (LastErrorException e) {
            throw new NativeCallException("lseek", e.getErrorCode(), "fd " + fd + " has no size (not a file?)");
        }
    }

    /**
     * The granule in which {@code fd} can be mapped: a hugetlbfs file's huge page size, else the system page size.
     * An mmap file offset must be a multiple of it (QEMU asks the same question, the same way, for its RAM files).
     */
    public static long pageSizeOf(int fd) {
        byte[] buf = new byte[LibC.STATFS_BYTES];
        try {
            LibC.fstatfs(fd, buf);
        } catch (LastErrorException e) {
            throw new NativeCallException("fstatfs", e.getErrorCode(), "fd " + fd);
        }
        ByteBuffer b = ByteBuffer.wrap(buf).order(ByteOrder.nativeOrder());
        boolean huge = (b.getLong(0) & 0xffffffffL) == LibC.HUGETLBFS_MAGIC;
        return huge ? b.getLong(8) : pageSize();
    }

    /** The system page size. */
    public static long pageSize() {
        return LibC.getpagesize();
    }

    public static void close(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            throw new NativeCallException("close", e.getErrorCode(), "fd " + fd);
        }
    }

    /** Closes {@code fd} on a path that is already failing; a second error would hide the first. */
    public static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException ignored) {
            // The descriptor is gone either way (Linux releases it even when close reports an error).
        }
    }
}
