package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

import java.io.EOFException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A connected unix stream socket that carries bytes and file descriptors (SCM_RIGHTS). Blocking. One thread may
 * send while another receives; {@link #shutdown} or {@link #close} from any thread wakes a blocked receive, which
 * then reports end of stream.
 */
public final class UnixSocket implements AutoCloseable {

    /**
     * What one {@link #receive} got. {@code bytes} is 0 when the peer closed. {@code fds} are now owned by the
     * caller. {@code controlTruncated} means the peer sent more descriptors than there was room for: the kernel
     * closed the extra ones.
     */
    public record Received(int bytes, int[] fds, boolean controlTruncated) {
    }

    private static final int[] NO_FDS = new int[0];

    private final SocketLib.SharedFd fd;
    private final int number;

    UnixSocket(int fd) {
        this.fd = new SocketLib.SharedFd(fd);
        this.number = fd;
    }

    /** Connects to the unix socket at {@code path}. */
    public static UnixSocket connect(Path path) {
        SocketLib.SockaddrUn addr = new SocketLib.SockaddrUn(path.toString());
        int fd = newSocket();
        try {
            SocketLib.connect(fd, addr, addr.size());
        } catch (LastErrorException e) {
            Syscalls.closeQuietly(fd);
            throw new NativeCallException("connect", e.getErrorCode(), "path " + path);
        }
        return new UnixSocket(fd);
    }

    /** Two sockets connected to each other. */
    public static UnixSocket[] pair() {
        int[] fds = new int[2];
        try {
            SocketLib.socketpair(SocketLib.AF_UNIX, SocketLib.SOCK_STREAM | SocketLib.SOCK_CLOEXEC, 0, fds);
        } catch (LastErrorException e) {
            throw new NativeCallException("socketpair", e.getErrorCode(), "AF_UNIX, SOCK_STREAM");
        }
        return new UnixSocket[] {new UnixSocket(fds[0]), new UnixSocket(fds[1])};
    }

    /** Takes ownership of {@code fd}, a connected unix stream socket received from a peer. */
    public static UnixSocket adopt(int fd) {
        if (fd < 0) throw new IllegalArgumentException("not a descriptor: " + fd);
        return new UnixSocket(fd);
    }

    static int newSocket() {
        try {
            return SocketLib.socket(SocketLib.AF_UNIX, SocketLib.SOCK_STREAM | SocketLib.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new NativeCallException("socket", e.getErrorCode(), "AF_UNIX, SOCK_STREAM");
        }
    }

    /** The descriptor number; valid until {@link #close}. */
    public int fd() {
        return number;
    }

    /**
     * Sends all {@code len} bytes, with {@code fds} (may be null or empty) attached to the first part that goes
     * out. The descriptors stay owned by the caller: the receiver gets its own copies.
     */
    public void send(byte[] data, int off, int len, int[] fds) {
        Objects.checkFromIndexSize(off, len, data.length);
        int[] toPass = fds == null ? NO_FDS : fds;
        if (len == 0) {
            // A stream socket cannot carry descriptors without at least one byte of data.
            if (toPass.length > 0) throw new IllegalArgumentException("descriptors need at least one byte of data");
            return;
        }
        int s = acquire("send");
        try {
            Memory buffer = new Memory(len);
            buffer.write(0, data, off, len);
            Memory control = toPass.length == 0 ? null : SocketLib.Cmsg.rights(toPass);
            long sent = 0;
            while (sent < len) {
                SocketLib.MsgHdr msg = new SocketLib.MsgHdr(buffer.share(sent), len - sent, control,
                        control == null ? 0 : control.size());
                try {
                    sent += SocketLib.sendmsg(s, msg, SocketLib.MSG_NOSIGNAL);
                    control = null; // the descriptors went with the bytes just sent
                } catch (LastErrorException e) {
                    if (e.getErrorCode() != SocketLib.EINTR) {
                        throw new NativeCallException("sendmsg", e.getErrorCode(),
                                "fd " + s + ", " + (len - sent) + " of " + len + " bytes left, " + toPass.length + " fds");
                    }
                }
            }
        } finally {
            fd.release();
        }
    }

    /**
     * Receives up to {@code len} (at least 1) bytes and up to {@code maxFds} descriptors (close-on-exec). Blocks
     * until something arrives; 0 bytes means the peer closed or this socket was shut down.
     */
    public Received receive(byte[] buf, int off, int len, int maxFds) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len == 0) throw new IllegalArgumentException("receive needs room for at least one byte");
        if (maxFds < 0) throw new IllegalArgumentException("negative descriptor count: " + maxFds);
        int s = fd.acquire();
        if (s < 0) return new Received(0, NO_FDS, false); // closed: same as a shut-down socket
        try {
            Memory buffer = new Memory(len);
            Memory control = SocketLib.Cmsg.roomFor(maxFds);
            while (true) {
                SocketLib.MsgHdr msg = new SocketLib.MsgHdr(buffer, len, control, SocketLib.Cmsg.receiveLength(maxFds));
                long got;
                try {
                    got = SocketLib.recvmsg(s, msg, SocketLib.MSG_CMSG_CLOEXEC);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == SocketLib.EINTR) continue;
                    throw new NativeCallException("recvmsg", e.getErrorCode(), "fd " + s + ", " + len + " bytes");
                }
                int[] fds = control == null ? NO_FDS : SocketLib.Cmsg.parseRights(control, msg.msg_controllen);
                boolean truncated = (msg.msg_flags & SocketLib.MSG_CTRUNC) != 0;
                if (fds.length > maxFds) { // not expected (the room is exact), but the caller's limit holds regardless
                    for (int i = maxFds; i < fds.length; i++) Syscalls.closeQuietly(fds[i]);
                    fds = Arrays.copyOf(fds, maxFds);
                    truncated = true;
                }
                if (got > 0) buffer.read(0, buf, off, (int) got);
                return new Received((int) got, fds, truncated);
            }
        } finally {
            fd.release();
        }
    }

    /**
     * Receives exactly {@code len} bytes. Descriptors are not expected here: the kernel is given no room for
     * them, so it closes any that arrive before they ever enter this process's table.
     *
     * @throws UncheckedIOException wrapping an {@link EOFException} if the stream ends first
     */
    public void receiveFully(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        int done = 0;
        while (done < len) {
            Received r = receive(buf, off + done, len - done, 0);
            if (r.bytes() == 0) {
                throw new UncheckedIOException(new EOFException(
                        "unix socket fd " + number + " closed after " + done + " of " + len + " bytes"));
            }
            done += r.bytes();
        }
    }

    /** Ends both directions: a receive blocked in another thread returns 0 bytes; the peer sees end of stream. */
    public void shutdown() {
        int s = fd.acquire();
        if (s < 0) return; // closing already shut it down
        try {
            shutdown(s);
        } finally {
            fd.release();
        }
    }

    static void shutdown(int s) {
        try {
            SocketLib.shutdown(s, SocketLib.SHUT_RDWR);
        } catch (LastErrorException e) {
            throw new NativeCallException("shutdown", e.getErrorCode(), "fd " + s);
        }
    }

    /** Closes the socket; a call blocked in another thread is woken first. Idempotent. */
    @Override
    public void close() {
        fd.close(UnixSocket::shutdown);
    }

    private int acquire(String what) {
        int s = fd.acquire();
        if (s < 0) throw new SocketClosedException(what + " on closed unix socket fd " + number);
        return s;
    }
}
