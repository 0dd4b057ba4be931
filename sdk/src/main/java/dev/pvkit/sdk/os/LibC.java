package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * The few libc calls Java lacks, bound with JNA direct mapping. Addresses are passed as {@code long}: this SDK
 * runs on 64-bit Linux only. Callers use {@link Syscalls}, which turns errno into exceptions naming the call.
 */
final class LibC {
    static {
        Native.register("c");
    }

    private LibC() {
    }

    static final int PROT_NONE = 0x0;
    static final int PROT_READ = 0x1;
    static final int PROT_WRITE = 0x2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final long MAP_FAILED = -1L;
    static final int MFD_CLOEXEC = 0x1;
    static final int MFD_ALLOW_SEALING = 0x2;
    static final int MFD_HUGETLB = 0x4;
    static final int MFD_HUGE_SHIFT = 26; // log2 of the huge page size goes in bits 26..31

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    static native int munmap(long addr, long length) throws LastErrorException;

    static native int mprotect(long addr, long length, int prot) throws LastErrorException;

    static native int memfd_create(String name, int flags) throws LastErrorException;

    static native int ftruncate(int fd, long length) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    /** fcntl with an int argument (variadic in C; on x86-64 and aarch64 Linux an int passes the same way). */
    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    static final int F_ADD_SEALS = 1033;           // F_LINUX_SPECIFIC_BASE + 9
    static final int F_GET_SEALS = 1034;           // F_LINUX_SPECIFIC_BASE + 10

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    static final int SEEK_END = 2;

    /** {@code buf} receives a {@code struct statfs}; 64-bit Linux: f_type at byte 0, f_bsize at byte 8. */
    static native int fstatfs(int fd, byte[] buf) throws LastErrorException;

    static final int STATFS_BYTES = 256;           // at least sizeof(struct statfs) (120 on x86-64 and aarch64)
    static final long HUGETLBFS_MAGIC = 0x958458f6L;

    static native int getpagesize();

    static native String strerror(int errnum);
}
