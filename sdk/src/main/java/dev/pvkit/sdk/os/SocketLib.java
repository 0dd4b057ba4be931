package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * libc socket, eventfd and epoll calls, bound with JNA direct mapping like {@link LibC}, plus the x86_64 layouts of
 * the structures they take. {@code size_t}/{@code ssize_t} are {@code long}: Linux x86_64 only. Callers turn
 * {@link LastErrorException} into {@link NativeCallException} naming the call. Values checked against
 * /usr/include (glibc, x86_64).
 */
final class SocketLib {
    static {
        Native.register("c");
    }

    private SocketLib() {
    }

    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int SHUT_RDWR = 2;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLLIN = 0x1;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int O_NONBLOCK = 0x800;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;

    static native int bind(int fd, SockaddrUn addr, int addrlen) throws LastErrorException;

    static native int listen(int fd, int backlog) throws LastErrorException;

    static native int accept4(int fd, Pointer addr, Pointer addrlen, int flags) throws LastErrorException;

    static native int connect(int fd, SockaddrUn addr, int addrlen) throws LastErrorException;

    static native long sendmsg(int fd, MsgHdr msg, int flags) throws LastErrorException;

    static native long recvmsg(int fd, MsgHdr msg, int flags) throws LastErrorException;

    static native int shutdown(int fd, int how) throws LastErrorException;

    static native int chmod(String path, int mode) throws LastErrorException;

    static native int unlink(String path) throws LastErrorException;

    static native int eventfd(int initval, int flags) throws LastErrorException;

    static native int epoll_create1(int flags) throws LastErrorException;

    static native int epoll_ctl(int epfd, int op, int fd, EpollEvent event) throws LastErrorException;

    static native int epoll_wait(int epfd, Pointer events, int maxevents, int timeout) throws LastErrorException;

    /** An 8-byte counter read, the only kind this SDK does (eventfd). */
    static native long read(int fd, long[] buf, long count) throws LastErrorException;

    static native long write(int fd, long[] buf, long count) throws LastErrorException;

    /** fcntl is variadic; F_GETFL/F_SETFL take an int, passed the same way as a fixed argument on x86_64. */
    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    // The structures are public (inside this package-private class) so JNA can reflect on them.

    /** {@code struct sockaddr_un}: 110 bytes. */
    @Structure.FieldOrder({"sun_family", "sun_path"})
    public static final class SockaddrUn extends Structure {
        static final int PATH_MAX = 108;

        public short sun_family;
        public byte[] sun_path = new byte[PATH_MAX];

        /** The address of {@code path}; it must leave room for the terminating NUL. */
        public SockaddrUn(String path) {
            byte[] bytes = Native.toByteArray(path); // NUL-terminated, same encoding JNA uses for String arguments
            if (bytes.length > PATH_MAX) {
                throw new IllegalArgumentException("unix socket path longer than " + (PATH_MAX - 1) + " bytes: " + path);
            }
            sun_family = AF_UNIX;
            System.arraycopy(bytes, 0, sun_path, 0, bytes.length);
        }
    }

    /** {@code struct iovec}: 16 bytes. */
    @Structure.FieldOrder({"iov_base", "iov_len"})
    public static final class Iovec extends Structure {
        public Pointer iov_base;
        public long iov_len;
    }

    /** {@code struct msghdr}: 56 bytes; JNA's default alignment inserts the same padding as the C compiler. */
    @Structure.FieldOrder({"msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen",
            "msg_flags"})
    public static final class MsgHdr extends Structure {
        public Pointer msg_name;
        public int msg_namelen;
        public Pointer msg_iov;
        public long msg_iovlen;
        public Pointer msg_control;
        public long msg_controllen;
        public int msg_flags;

        /** Not a field of the C struct (not public): keeps the iovec's memory alive for the call. */
        private final Iovec iovec;

        /**
         * One data buffer and an optional control buffer of {@code controlLength} bytes. The iovec is written here
         * because JNA only syncs the outer struct.
         */
        public MsgHdr(Pointer data, long length, Pointer control, long controlLength) {
            Iovec iov = new Iovec();
            iov.iov_base = data;
            iov.iov_len = length;
            iov.write();
            iovec = iov;
            msg_iov = iov.getPointer();
            msg_iovlen = 1;
            msg_control = control;
            msg_controllen = control == null ? 0 : controlLength;
        }
    }

    /** {@code struct epoll_event}: packed on x86_64, so 12 bytes with {@code data} at offset 4. */
    @Structure.FieldOrder({"events", "data"})
    public static final class EpollEvent extends Structure {
        static final int SIZE = 12;
        /** The offset of {@code data}. */
        static final int DATA = 4;

        public int events;
        public long data;

        public EpollEvent() {
            super(ALIGN_NONE);
        }
    }

    /** Control-message layout for x86_64: {@code cmsghdr} is {size_t len; int level; int type;}, data 8-aligned. */
    static final class Cmsg {
        static final int HEADER = 16;

        private Cmsg() {
        }

        static long align(long len) {
            return (len + 7) & ~7L;
        }

        static long space(long dataLen) {
            return HEADER + align(dataLen);
        }

        static long len(long dataLen) {
            return HEADER + dataLen;
        }

        /** A control buffer carrying {@code fds} as one SCM_RIGHTS message. */
        static Memory rights(int[] fds) {
            long dataLen = 4L * fds.length;
            Memory control = new Memory(space(dataLen));
            control.clear(); // padding after the descriptors is zero
            control.setLong(0, len(dataLen));
            control.setInt(8, SOL_SOCKET);
            control.setInt(12, SCM_RIGHTS);
            control.write(HEADER, fds, 0, fds.length);
            return control;
        }

        /**
         * A buffer for receiving up to {@code maxFds} descriptors, or null for none. Pass {@link #receiveLength} as
         * its length, not its size: the kernel fits {@code (length - 16) / 4} descriptors, so the padding in
         * CMSG_SPACE would admit one more than asked for when {@code maxFds} is odd.
         */
        static Memory roomFor(int maxFds) {
            if (maxFds <= 0) return null;
            Memory control = new Memory(space(4L * maxFds));
            control.clear();
            return control;
        }

        static long receiveLength(int maxFds) {
            return maxFds <= 0 ? 0 : len(4L * maxFds);
        }

        /** Every descriptor in the SCM_RIGHTS messages of the first {@code used} bytes of {@code control}. */
        static int[] parseRights(Memory control, long used) {
            int[] fds = new int[0];
            long off = 0;
            while (off + HEADER <= used) {
                long len = control.getLong(off);
                if (len < HEADER || off + len > used) break;
                if (control.getInt(off + 8) == SOL_SOCKET && control.getInt(off + 12) == SCM_RIGHTS) {
                    int n = (int) ((len - HEADER) / 4);
                    int[] more = control.getIntArray(off + HEADER, n);
                    int[] all = Arrays.copyOf(fds, fds.length + n);
                    System.arraycopy(more, 0, all, fds.length, n);
                    fds = all;
                }
                off += align(len);
            }
            return fds;
        }
    }

    /**
     * A descriptor that some threads call into while another closes it. The number is only given back to the
     * kernel once no call is in flight, so a call blocked in (or about to enter) the kernel never lands on a
     * recycled descriptor that now belongs to someone else.
     */
    static final class SharedFd {
        private final int fd;
        private int inFlight;
        private boolean closing;

        SharedFd(int fd) {
            this.fd = fd;
        }

        /** The descriptor for one call, or -1 once closing began. Pair every non-negative result with {@link #release}. */
        synchronized int acquire() {
            if (closing) return -1;
            inFlight++;
            return fd;
        }

        void release() {
            boolean last;
            synchronized (this) {
                last = --inFlight == 0 && closing;
            }
            // The closer already returned; an error here has nobody to report to, and Linux frees the number anyway.
            if (last) Syscalls.closeQuietly(fd);
        }

        synchronized boolean isClosing() {
            return closing;
        }

        /**
         * Starts closing. If calls are in flight, {@code wake} runs (under the lock, so the descriptor is still
         * ours) to make them return, and the last one closes the descriptor; otherwise it is closed now.
         *
         * @return false if closing had already begun
         */
        boolean close(IntConsumer wake) {
            synchronized (this) {
                if (closing) return false;
                closing = true;
                if (inFlight > 0) {
                    wake.accept(fd);
                    return true;
                }
            }
            Syscalls.close(fd);
            return true;
        }
    }
}
