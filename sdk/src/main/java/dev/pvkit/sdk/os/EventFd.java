package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;

/**
 * An eventfd: a kernel counter used as a doorbell between processes (virtqueue kick and call). Non-blocking, so
 * {@link #drain} never waits. Safe to {@link #signal} from any thread, also while another thread closes it.
 */
public final class EventFd implements AutoCloseable {
    /**
     * The 8-byte counter buffer of a read or write, one per thread, kept: every request signals an eventfd (and
     * every wake-up drains one), so a fresh array per call was garbage on the request path.
     */
    private static final ThreadLocal<long[]> COUNTER = ThreadLocal.withInitial(() -> new long[1]);

    private final SocketLib.SharedFd fd;
    private final int number;

    private EventFd(int fd) {
        this.fd = new SocketLib.SharedFd(fd);
        this.number = fd;
    }

    public static EventFd create() {
        try {
            return new EventFd(SocketLib.eventfd(0, SocketLib.EFD_CLOEXEC | SocketLib.EFD_NONBLOCK));
        } catch (LastErrorException e) {
            throw new NativeCallException("eventfd", e.getErrorCode(), "EFD_CLOEXEC | EFD_NONBLOCK");
        }
    }

    /**
     * Takes ownership of {@code fd}, e.g. one received over a socket; it is closed even if this fails. The peer may
     * have created it blocking, so O_NONBLOCK is set (on the open file, which the peer shares).
     */
    public static EventFd adopt(int fd) {
        try {
            int flags = fcntl(fd, SocketLib.F_GETFL, 0);
            if ((flags & SocketLib.O_NONBLOCK) == 0) fcntl(fd, SocketLib.F_SETFL, flags | SocketLib.O_NONBLOCK);
            return new EventFd(fd);
        } catch (RuntimeException e) {
            Syscalls.closeQuietly(fd);
            throw e;
        }
    }

    private static int fcntl(int fd, int cmd, int arg) {
        try {
            return SocketLib.fcntl(fd, cmd, arg);
        } catch (LastErrorException e) {
            throw new NativeCallException("fcntl", e.getErrorCode(),
                    "fd " + fd + (cmd == SocketLib.F_GETFL ? ", F_GETFL" : ", F_SETFL " + Integer.toHexString(arg)));
        }
    }

    /** The descriptor number; valid until {@link #close}. */
    public int fd() {
        return number;
    }

    /** Adds 1 to the counter, waking whoever polls the descriptor. */
    public void signal() {
        int s = acquire("signal");
        try {
            long[] one = COUNTER.get();
            while (true) {
                one[0] = 1L;
                try {
                    SocketLib.write(s, one, Long.BYTES);
                    return;
                } catch (LastErrorException e) {
                    // EAGAIN: the counter is at its maximum, so it is signalled already.
                    if (e.getErrorCode() == SocketLib.EAGAIN) return;
                    if (e.getErrorCode() != SocketLib.EINTR) throw new NativeCallException("write", e.getErrorCode(), "eventfd " + s);
                }
            }
        } finally {
            fd.release();
        }
    }

    /** Reads and resets the counter: the number of signals since the last drain, 0 if none. */
    public long drain() {
        int s = acquire("drain");
        try {
            long[] count = COUNTER.get();
            while (true) {
                count[0] = 0;
                try {
                    SocketLib.read(s, count, Long.BYTES);
                    return count[0];
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == SocketLib.EAGAIN) return 0;
                    if (e.getErrorCode() != SocketLib.EINTR) throw new NativeCallException("read", e.getErrorCode(), "eventfd " + s);
                }
            }
        } finally {
            fd.release();
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        fd.close(s -> { }); // calls on an eventfd never block, so there is nothing to wake
    }

    private int acquire(String what) {
        int s = fd.acquire();
        if (s < 0) throw new IllegalStateException(what + " on closed eventfd " + number);
        return s;
    }
}
