package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.SocketClosedException;
import dev.pvkit.sdk.os.UnixServerSocket;
import dev.pvkit.sdk.os.UnixSocket;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a {@link VirtioDevice} as a vhost-user back-end on a unix socket (created owner-only, removed on close).
 * One front-end at a time, as vhost-user is one-to-one; when a connection ends — cleanly or after a rejected
 * message — the device is reset and the next connection accepted.
 */
public final class VhostUserBackend implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VhostUserBackend.class);

    /**
     * How to serve: worker threads, validation policy for rings, who observes, what to do with a shared file that
     * is not sealed against shrinking ({@link UnsealedFiles}; default {@link UnsealedFiles#SEAL}), how long a
     * stopping ring waits for the requests its device still holds before cancelling them (default 5 s), and how long
     * at most a worker polls its idle rings before it sleeps (default {@link #DEFAULT_POLL_MAX}; zero: never poll).
     */
    public record Options(int workers, ValidationPolicy policy, BackendObserver observer, UnsealedFiles unsealedFiles,
                          java.time.Duration requestDrain, java.time.Duration pollMax) {
        /**
         * Longer than QEMU's IOThread default (32 µs): a window only pays once it outlasts the driver's round trip
         * through a sleep — its wake-up on the call eventfd, its reaping and reposting — and that measured 40–50 µs on
         * a 2-vCPU VM, so a 32 µs window never took hold there. The window adapts ({@code PollWindow}): a guest that
         * posts rarely costs no polling.
         */
        public static final java.time.Duration DEFAULT_POLL_MAX = java.time.Duration.ofNanos(64_000);

        public Options {
            if (workers < 1) throw new IllegalArgumentException("workers must be at least 1");
            if (requestDrain.isNegative()) throw new IllegalArgumentException("requestDrain must not be negative");
            if (pollMax.isNegative() || pollMax.compareTo(java.time.Duration.ofMillis(1)) > 0) {
                throw new IllegalArgumentException("pollMax must be 0..1 ms, got " + pollMax);
            }
            java.util.Objects.requireNonNull(policy, "policy");
            java.util.Objects.requireNonNull(observer, "observer");
            java.util.Objects.requireNonNull(unsealedFiles, "unsealedFiles");
        }

        public static Options defaults() {
            return new Options(1, ValidationPolicy.strict(), BackendObserver.NONE, UnsealedFiles.SEAL, java.time.Duration.ofSeconds(5),
                    DEFAULT_POLL_MAX);
        }

        public Options withWorkers(int n) {
            return new Options(n, policy, observer, unsealedFiles, requestDrain, pollMax);
        }

        public Options withPolicy(ValidationPolicy p) {
            return new Options(workers, p, observer, unsealedFiles, requestDrain, pollMax);
        }

        public Options withObserver(BackendObserver o) {
            return new Options(workers, policy, o, unsealedFiles, requestDrain, pollMax);
        }

        public Options withUnsealedFiles(UnsealedFiles u) {
            return new Options(workers, policy, observer, u, requestDrain, pollMax);
        }

        /** How long a stopping ring waits for its device's outstanding requests before it cancels them. */
        public Options withRequestDrain(java.time.Duration d) {
            return new Options(workers, policy, observer, unsealedFiles, d, pollMax);
        }

        /** The most a worker polls idle rings before sleeping (0..1 ms; zero: it sleeps at once). */
        public Options withPollMax(java.time.Duration d) {
            return new Options(workers, policy, observer, unsealedFiles, requestDrain, d);
        }
    }

    private final VirtioDevice device;
    private final UnixServerSocket server;
    private final Options options;
    private final Thread acceptor;
    private final AtomicInteger sessions = new AtomicInteger();
    private volatile boolean closing;
    private volatile UnixSocket current;

    private VhostUserBackend(VirtioDevice device, UnixServerSocket server, Options options) {
        this.device = device;
        this.server = server;
        this.options = options;
        this.acceptor = new Thread(this::acceptLoop, "vhost-user " + server.path().getFileName());
        this.acceptor.setDaemon(true);
    }

    /** Serves {@code device} at {@code socketPath} with default options until {@link #close()}. */
    public static VhostUserBackend serve(VirtioDevice device, Path socketPath) {
        return serve(device, socketPath, Options.defaults());
    }

    public static VhostUserBackend serve(VirtioDevice device, Path socketPath, Options options) {
        VhostUserBackend b = new VhostUserBackend(device, UnixServerSocket.bind(socketPath), options);
        b.acceptor.start();
        LOG.info("serving device {} on {}", device.deviceId(), socketPath);
        return b;
    }

    public Path socketPath() {
        return server.path();
    }

    /** Connections served so far (including the current one). */
    public int sessions() {
        return sessions.get();
    }

    private void acceptLoop() {
        while (!closing) {
            UnixSocket s;
            try {
                s = server.accept();
            } catch (SocketClosedException e) {
                return;
            } catch (RuntimeException e) {
                if (!closing) LOG.error("accept failed: {}", e.getMessage());
                return;
            }
            current = s;
            int n = sessions.incrementAndGet();
            try {
                new Session(s, device, options, server.path().getFileName() + "#" + n).run();
            } catch (RuntimeException e) {
                LOG.error("session {} failed: {}", n, e.toString(), e);
            } catch (InternalError e) {
                // With unsealed files accepted at risk only: Session ends itself on a memory fault; one delivered late
                // (in its shutdown, say) must not end the acceptor: the next front-end is still served.
                if (!MemoryFault.is(e)) throw e;
                LOG.error("session {} ended: {}", n, MemoryFault.describe(e));
            } finally {
                current = null;
                s.close();
            }
        }
    }

    /** Stops serving: ends the current session, stops its threads, closes and removes the socket. */
    @Override
    public void close() {
        closing = true;
        UnixSocket s = current;
        if (s != null) s.shutdown();
        server.close();
        try {
            acceptor.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
