package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Structure;

/**
 * Waits for any of several descriptors to become readable. Each registered descriptor carries a caller-chosen
 * token that {@link #wait} reports. Closing does not wake a thread blocked in {@link #wait}: register an
 * {@link EventFd} and signal it for that.
 */
public final class Epoll implements AutoCloseable {
    private final SocketLib.SharedFd fd;
    private final int number;

    private Epoll(int fd) {
        this.fd = new SocketLib.SharedFd(fd);
        this.number = fd;
    }

    public static Epoll create() {
        try {
            return new Epoll(SocketLib.epoll_create1(SocketLib.EPOLL_CLOEXEC));
        } catch (LastErrorException e) {
            throw new NativeCallException("epoll_create1", e.getErrorCode(), "EPOLL_CLOEXEC");
        }
    }

    /** Watches {@code fd} for input (errors and hang-ups are always reported too). */
    public void add(int fd, long token) {
        control(SocketLib.EPOLL_CTL_ADD, fd, token, "add");
    }

    public void remove(int fd) {
        control(SocketLib.EPOLL_CTL_DEL, fd, 0, "remove");
    }

    private void control(int op, int target, long token, String what) {
        int ep = acquire(what);
        try {
            SocketLib.EpollEvent event = new SocketLib.EpollEvent();
            event.events = SocketLib.EPOLLIN;
            event.data = token;
            SocketLib.epoll_ctl(ep, op, target, event);
        } catch (LastErrorException e) {
            throw new NativeCallException("epoll_ctl", e.getErrorCode(), what + " fd " + target + " on epoll " + ep);
        } finally {
            fd.release();
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (-1: forever) for registered descriptors to become ready and stores their
     * tokens in {@code tokens}, at most {@code tokens.length} of them.
     *
     * @return how many tokens were stored; 0 on timeout or when a signal interrupted the wait
     */
    public int wait(long[] tokens, int timeoutMillis) {
        if (tokens.length == 0) throw new IllegalArgumentException("wait needs room for at least one token");
        int ep = acquire("wait");
        try {
            SocketLib.EpollEvent first = new SocketLib.EpollEvent();
            Structure[] events = first.toArray(tokens.length); // contiguous, 12 bytes each
            int ready;
            try {
                ready = SocketLib.epoll_wait(ep, first.getPointer(), tokens.length, timeoutMillis);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == SocketLib.EINTR) return 0;
                throw new NativeCallException("epoll_wait", e.getErrorCode(), "epoll " + ep);
            }
            for (int i = 0; i < ready; i++) {
                SocketLib.EpollEvent event = (SocketLib.EpollEvent) events[i];
                event.read();
                tokens[i] = event.data;
            }
            return ready;
        } finally {
            fd.release();
        }
    }

    /** Idempotent. A thread blocked in {@link #wait} keeps the descriptor until its wait ends. */
    @Override
    public void close() {
        fd.close(s -> { });
    }

    private int acquire(String what) {
        int s = fd.acquire();
        if (s < 0) throw new IllegalStateException(what + " on closed epoll " + number);
        return s;
    }
}
