package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A running QEMU with its agent channel. {@link #close()} kills QEMU and everything it started if it is still
 * running; so do the hard time limit and JVM exit.
 */
public final class QemuInstance implements AutoCloseable {
    private final Process process;
    private final List<String> command;
    private final Accelerator accelerator;
    private final Path runDirectory;
    private final GuestAgent agent;
    private final ScheduledFuture<?> watchdog;
    /** Null without {@link QemuOptions#transportTrace}. */
    private final TransportTraceReader trace;
    private volatile boolean timedOut;
    private QemuMonitor monitor;
    private volatile boolean killed;
    /** How long {@link #close()} waits for the trace's last lines to reach their consumer. */
    private static final Duration TRACE_DRAIN_LIMIT = Duration.ofSeconds(10);

    QemuInstance(Process process, List<String> command, Accelerator accelerator, Path runDirectory, GuestAgent agent,
                 Duration timeLimit, TransportTraceReader trace) {
        this.process = process;
        this.command = List.copyOf(command);
        this.accelerator = accelerator;
        this.runDirectory = runDirectory;
        this.agent = agent;
        this.trace = trace;
        // the trace FIFO gives no end-of-file of its own: tell its reader when QEMU is gone
        if (trace != null) process.onExit().thenRun(trace::endOfInput);
        this.watchdog = QemuLauncher.WATCHDOG.schedule(() -> {
            timedOut = true;
            killed = true;
            ProcessReaper.killTree(process.toHandle());
        }, timeLimit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * QEMU's monitor (QMP), connected on first use and closed with this instance. Throws when this QEMU has none (its
     * run directory's path was too long for a socket).
     */
    public synchronized QemuMonitor monitor() {
        if (monitor == null) {
            Path socket = runDirectory.resolve(QemuLauncher.MONITOR_SOCKET);
            if (!command.contains("unix:" + socket.toAbsolutePath() + ",server=on,wait=off")) {
                throw new IllegalStateException("this QEMU runs without a monitor socket");
            }
            monitor = QemuMonitor.connect(socket);
        }
        return monitor;
    }

    /** The agent channel; throws for a {@link QemuOptions#firmwareBoot()} run, which has none. */
    public GuestAgent agent() {
        if (agent == null) throw new IllegalStateException("this QEMU runs without a guest agent (firmware boot)");
        return agent;
    }

    public Accelerator accelerator() {
        return accelerator;
    }

    public List<String> command() {
        return command;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Whether the hard time limit killed QEMU. */
    public boolean timedOut() {
        return timedOut;
    }

    public Path runDirectory() {
        return runDirectory;
    }

    /** The guest's serial console (kernel messages, /init's lines). */
    public Path consoleLog() {
        return runDirectory.resolve(QemuLauncher.CONSOLE_LOG);
    }

    /** QEMU's own standard output and error. */
    public Path qemuLog() {
        return runDirectory.resolve(QemuLauncher.QEMU_LOG);
    }

    /**
     * virtio-pci trace lines lost because the {@link QemuOptions#transportTrace} consumer fell far behind (0 without
     * a trace).
     */
    public long transportTraceDropped() {
        return trace == null ? 0 : trace.dropped();
    }

    /** Waits for QEMU to exit and returns its exit status; on timeout kills it and throws. */
    public int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            close();
            throw new IllegalStateException("QEMU did not exit within " + limit + " (killed)\n" + evidence());
        }
        close();
        return process.exitValue();
    }

    /**
     * Waits for QEMU to exit and says how it ended: poweroff, a guest code through isa-debug-exit, or a failure
     * (see {@link QemuExit}). On timeout kills QEMU and throws.
     */
    public QemuExit awaitResult(Duration limit) throws InterruptedException {
        int status = awaitExit(limit);
        return new QemuExit(status, killed);
    }

    /** The ends of the console and QEMU logs, for failure messages. */
    public String evidence() {
        return "--- guest console (tail) ---\n" + tail(consoleLog(), 40) + "\n--- QEMU output (tail) ---\n"
                + tail(qemuLog(), 20);
    }

    @Override
    public void close() {
        watchdog.cancel(false);
        if (process.isAlive()) {
            killed = true;
            ProcessReaper.killTree(process.toHandle());
        }
        ProcessReaper.unregister(process.toHandle());
        if (agent != null) agent.close();
        synchronized (this) {
            if (monitor != null) monitor.close();
        }
        if (trace != null) {
            try {
                trace.finish(TRACE_DRAIN_LIMIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The last {@code lines} lines of a log file (read as ISO-8859-1), or a note that it is missing or unreadable. */
    public static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) return "(no " + file.getFileName() + ")";
            List<String> all = Files.readString(file, StandardCharsets.ISO_8859_1).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }
}
