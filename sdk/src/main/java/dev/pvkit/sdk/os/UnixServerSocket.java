package dev.pvkit.sdk.os;

import com.sun.jna.LastErrorException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/** A listening unix stream socket bound to a file that only its owner may connect to (mode 0600). */
public final class UnixServerSocket implements AutoCloseable {
    private static final int BACKLOG = 4;
    private static final int OWNER_READ_WRITE = 0600;
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final SocketLib.SharedFd fd;
    private final Path path;
    private final AtomicBoolean unlinked = new AtomicBoolean();

    private UnixServerSocket(int fd, Path path) {
        this.fd = new SocketLib.SharedFd(fd);
        this.path = path;
    }

    /**
     * Listens at {@code path}. A socket file left there by an earlier run is removed; any other kind of file is
     * left alone and binding fails.
     */
    public static UnixServerSocket bind(Path path) {
        SocketLib.SockaddrUn addr = new SocketLib.SockaddrUn(path.toString());
        removeStaleSocket(path);
        int fd = UnixSocket.newSocket();
        boolean bound = false;
        try {
            try {
                SocketLib.bind(fd, addr, addr.size());
                bound = true;
            } catch (LastErrorException e) {
                throw new NativeCallException("bind", e.getErrorCode(), "path " + path);
            }
            // Before listen: until then connects are refused, so nobody connects while the mode is still the umask's.
            try {
                SocketLib.chmod(path.toString(), OWNER_READ_WRITE);
            } catch (LastErrorException e) {
                throw new NativeCallException("chmod", e.getErrorCode(), "path " + path + ", mode 0600");
            }
            try {
                SocketLib.listen(fd, BACKLOG);
            } catch (LastErrorException e) {
                throw new NativeCallException("listen", e.getErrorCode(), "path " + path);
            }
            return new UnixServerSocket(fd, path);
        } catch (RuntimeException e) {
            Syscalls.closeQuietly(fd);
            if (bound) unlinkQuietly(path);
            throw e;
        }
    }

    private static void removeStaleSocket(Path path) {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot inspect " + path + " before binding", e);
        }
        if ((mode & S_IFMT) != S_IFSOCK) return; // not ours to delete; bind reports EADDRINUSE
        try {
            SocketLib.unlink(path.toString());
        } catch (LastErrorException e) {
            if (e.getErrorCode() != SocketLib.ENOENT) {
                throw new NativeCallException("unlink", e.getErrorCode(), "stale socket " + path);
            }
        }
    }

    private static void unlinkQuietly(Path path) {
        try {
            SocketLib.unlink(path.toString());
        } catch (LastErrorException ignored) {
            // Cleanup on a path that is already failing.
        }
    }

    /**
     * Waits for a connection.
     *
     * @throws SocketClosedException if this server is or becomes closed (from any thread)
     */
    public UnixSocket accept() {
        int s = fd.acquire();
        if (s < 0) throw closed();
        try {
            while (true) {
                try {
                    return new UnixSocket(SocketLib.accept4(s, null, null, SocketLib.SOCK_CLOEXEC));
                } catch (LastErrorException e) {
                    // close() shuts the socket down, which makes accept fail (EINVAL): report that as closed.
                    if (fd.isClosing()) throw closed();
                    if (e.getErrorCode() != SocketLib.EINTR) {
                        throw new NativeCallException("accept4", e.getErrorCode(), "path " + path);
                    }
                }
            }
        } finally {
            fd.release();
        }
    }

    private SocketClosedException closed() {
        return new SocketClosedException("unix server socket " + path + " is closed");
    }

    public Path path() {
        return path;
    }

    /** Stops listening, waking a blocked {@link #accept}, and removes the socket file. Idempotent. */
    @Override
    public void close() {
        try {
            fd.close(UnixSocket::shutdown);
        } finally {
            if (unlinked.compareAndSet(false, true)) unlink();
        }
    }

    private void unlink() {
        try {
            SocketLib.unlink(path.toString());
        } catch (LastErrorException e) {
            if (e.getErrorCode() != SocketLib.ENOENT) {
                throw new NativeCallException("unlink", e.getErrorCode(), "path " + path);
            }
        }
    }
}
