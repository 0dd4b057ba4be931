package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * Waits for any of several descriptors to become readable. Each registered descriptor carries a caller-chosen
 * token that {@link #wait} reports. Closing does not wake a thread blocked in {@link #wait}: register an
 * {@link EventFd} and signal it for that.
 */
public final class Epoll implements AutoCloseable {
    /**
     * The {@code epoll_event} array a wait fills, one per thread, kept: a worker waits once per wake-up, so a JNA
     * Structure array per wait (reflection, native memory, a cleaner registration) was garbage on every request.
     */
    private static final ThreadLocal<Memory> EVENTS = new ThreadLocal<>();

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
            Memory events = events(tokens.length);
            int ready;
            try {
                ready = SocketLib.epoll_wait(ep, events, tokens.length, timeoutMillis);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == SocketLib.EINTR) return 0;
                throw new NativeCallException("epoll_wait", e.getErrorCode(), "epoll " + ep);
            }
            for (int i = 0; i < ready; i++) tokens[i] = events.getLong((long) i * SocketLib.EpollEvent.SIZE + SocketLib.EpollEvent.DATA);
            return ready;
        } finally {
            fd.release();
        }
    }

    /** This thread's event array, with room for at least {@code count} events. */
    private static Memory events(int count) {
        long bytes = (long) count * SocketLib.EpollEvent.SIZE;
        Memory m = EVENTS.get();
        if (m == null || m.size() < bytes) {
            m = new Memory(bytes);
            EVENTS.set(m);
        }
        return m;
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
