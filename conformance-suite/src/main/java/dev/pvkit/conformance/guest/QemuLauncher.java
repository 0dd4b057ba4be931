package dev.pvkit.conformance.guest;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Starts QEMU for a {@link GuestImage}: resolves the accelerator, listens on the agent socket (the harness is the
 * server, so nothing the agent says is lost before the harness connects), starts QEMU with its output in a log,
 * and waits for QEMU to connect the agent channel. Every QEMU gets a hard time limit.
 */
public final class QemuLauncher {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QemuLauncher.class);
    static final String CONSOLE_LOG = "console.log";
    static final String QEMU_LOG = "qemu.log";
    static final String MONITOR_SOCKET = "qmp.sock";
    static final String AGENT_SOCKET = "agent.sock";
    /** How long QEMU may take to start and connect the agent chardev. */
    private static final Duration CONNECT_LIMIT = Duration.ofSeconds(30);
    /** sun_path is 108 bytes including the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;

    static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pvkit-qemu-watchdog");
        t.setDaemon(true);
        return t;
    });

    private QemuLauncher() {
    }

    public static QemuInstance launch(QemuOptions o) throws IOException, InterruptedException {
        if (o.image == null && o.agent) throw new IllegalArgumentException("no guest image");
        if (!o.agent && o.accelerator == Accelerator.AUTO) {
            throw new IllegalArgumentException("AUTO needs a guest agent for its KVM probe: choose KVM or TCG");
        }
        Accelerator accel = AcceleratorSelector.resolve(o.accelerator, o.qemuBinary, () -> kvmRuns(o));
        return start(o, accel);
    }

    /** The AUTO probe: boot the guest with KVM, bounded, and see whether its agent says hello. */
    static boolean kvmRuns(QemuOptions o) throws InterruptedException {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("pvkit-kvm-probe-");
            QemuOptions probe = o.probeCopy(dir);
            try (QemuInstance q = start(probe, Accelerator.KVM)) {
                q.agent().awaitReady(o.kvmProbeLimit);
                LOG.info("KVM probe: the guest runs under KVM");
                return true;
            }
        } catch (IOException | RuntimeException e) {
            LOG.info("KVM probe failed within {} s ({}); using TCG", o.kvmProbeLimit.toSeconds(),
                    String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            return false;
        } finally {
            deleteRunDir(dir);
        }
    }

    static QemuInstance start(QemuOptions o, Accelerator accel) throws IOException, InterruptedException {
        Path dir = o.runDirectory != null ? Files.createDirectories(o.runDirectory)
                : Files.createTempDirectory("pvkit-qemu-");
        Path socket = dir.resolve(AGENT_SOCKET).toAbsolutePath();
        if (o.agent && socket.toString().length() > MAX_SOCKET_PATH) {
            throw new IOException("agent socket path too long for a unix socket: " + socket);
        }
        Files.deleteIfExists(socket);
        List<String> cmd = new ArrayList<>(QemuCommandLine.build(o, accel, dir.resolve(CONSOLE_LOG).toAbsolutePath(), socket));
        Path monitor = dir.resolve(MONITOR_SOCKET).toAbsolutePath();
        if (monitor.toString().length() <= MAX_SOCKET_PATH) {
            Files.deleteIfExists(monitor);
            // QMP for what a test asks of the hardware itself (QemuInstance.monitor); never waited for
            cmd.addAll(List.of("-qmp", "unix:" + monitor + ",server=on,wait=off"));
        }
        LOG.info("starting {}", String.join(" ", cmd));
        // opened before QEMU starts, so QEMU finds its reader
        TransportTraceReader trace = o.transportTrace == null ? null
                : TransportTraceReader.open(dir.resolve(TransportTraceReader.FIFO).toAbsolutePath(), o.transportTrace);
        try {
            return start(o, accel, cmd, dir, socket, trace);
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (trace != null) trace.finish(Duration.ofSeconds(5));
            throw e;
        }
    }

    private static QemuInstance start(QemuOptions o, Accelerator accel, List<String> cmd, Path dir, Path socket,
                                      TransportTraceReader trace) throws IOException, InterruptedException {
        if (!o.agent) {
            Process p = startProcess(cmd, dir);
            return new QemuInstance(p, cmd, accel, dir, null, o.timeLimit, trace);
        }

        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            server.configureBlocking(false);
            Process p = startProcess(cmd, dir);
            SocketChannel ch;
            try {
                ch = accept(server, p);
            } catch (IOException e) {
                ProcessReaper.killTree(p.toHandle());
                throw new IOException(e.getMessage() + "\n--- QEMU output ---\n"
                        + QemuInstance.tail(dir.resolve(QEMU_LOG), 20), e);
            } catch (InterruptedException | RuntimeException e) {
                ProcessReaper.killTree(p.toHandle());
                throw e;
            } finally {
                Files.deleteIfExists(socket);
            }
            ch.configureBlocking(true);
            GuestAgent agent = GuestAgent.over(SocketStreams.in(ch), SocketStreams.out(ch), ch);
            return new QemuInstance(p, cmd, accel, dir, agent, o.timeLimit, trace);
        }
    }

    /** QEMU with its output in the run directory's log, registered with the reaper before anything can fail. */
    private static Process startProcess(List<String> cmd, Path dir) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve(QEMU_LOG).toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        ProcessReaper.register(p.toHandle());
        return p;
    }

    private static SocketChannel accept(ServerSocketChannel server, Process p) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + CONNECT_LIMIT.toNanos();
        while (System.nanoTime() < deadline) {
            SocketChannel ch = server.accept();
            if (ch != null) return ch;
            if (!p.isAlive()) {
                throw new IOException("QEMU exited with " + p.exitValue() + " before connecting the agent channel");
            }
            Thread.sleep(20);
        }
        throw new IOException("QEMU did not connect the agent channel within " + CONNECT_LIMIT.toSeconds() + " s");
    }

    private static void deleteRunDir(Path dir) {
        if (dir == null) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover probe log in the temp directory is harmless
        }
    }
}
