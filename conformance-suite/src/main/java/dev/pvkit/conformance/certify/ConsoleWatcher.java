package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Follows the guest's console log as QEMU writes it and turns the lines that tell who drives the device into
 * {@link GuestEvent}s: the kernel's banner (the OS takes over) and its restart message (firmware again). Lines are
 * stamped when read, every {@value #POLL_MILLIS} ms: far finer than the seconds between a firmware's last access
 * and the kernel's first.
 */
final class ConsoleWatcher implements AutoCloseable {
    static final int POLL_MILLIS = 20;
    static final String KERNEL_BANNER = "Linux version ";
    static final String RESTARTING = "reboot: Restarting system";

    private final Path console;
    private final EventLog log;
    private final Thread thread;
    private volatile boolean stop;
    private long position;
    private final StringBuilder partial = new StringBuilder();
    /** Text whose appearance {@link #markerSeen()} reports (it need not end a line: a prompt does not), or null. */
    private final String marker;
    private volatile long markerSeenNanos;

    ConsoleWatcher(Path console, EventLog log) {
        this(console, log, null);
    }

    ConsoleWatcher(Path console, EventLog log, String marker) {
        this.console = console;
        this.log = log;
        this.marker = marker;
        this.thread = new Thread(this::follow, "pvkit-console-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * The watcher for a boot of {@code o}'s guest, with its firmware's idle marker if it has one. A bare kernel prints
     * no banner PVKit knows, and SeaBIOS keeps off the disk when it boots one ({@link CertifyOptions#bareKernel}): the
     * kernel is the disk's driver from the start, which a KERNEL_STARTED event at once says.
     */
    static ConsoleWatcher of(CertifyOptions o, Path console, EventLog log) {
        if (o.bareKernel()) {
            log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.KERNEL_STARTED,
                    "bare kernel " + o.kernel().getFileName() + " (booted with -kernel; SeaBIOS keeps off the disk)"));
        }
        return new ConsoleWatcher(console, log, o.firmware() != null ? o.firmware().idleMarker() : null);
    }

    private void follow() {
        while (!stop) {
            poll();
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
        poll();
    }

    private void poll() {
        if (!Files.exists(console)) return;
        try (RandomAccessFile f = new RandomAccessFile(console.toFile(), "r")) {
            long length = f.length();
            if (length <= position) return;
            f.seek(position);
            byte[] b = new byte[(int) Math.min(length - position, 1 << 20)];
            f.readFully(b);
            position += b.length;
            partial.append(new String(b, StandardCharsets.ISO_8859_1));
            if (marker != null && markerSeenNanos == 0 && partial.indexOf(marker) >= 0) markerSeenNanos = System.nanoTime();
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                line(partial.substring(0, nl).strip());
                partial.delete(0, nl + 1);
            }
        } catch (IOException e) {
            // the log is QEMU's; a read that fails now is retried at the next poll
        }
    }

    private void line(String l) {
        if (l.contains(KERNEL_BANNER)) {
            log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.KERNEL_STARTED, l.substring(l.indexOf(KERNEL_BANNER)).lines().findFirst().orElse("")));
        } else if (l.contains(RESTARTING)) {
            log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.RESTARTING, RESTARTING));
        }
    }

    /** Whether the marker has appeared on the console. */
    boolean markerSeen() {
        return markerSeenNanos != 0;
    }

    /** {@link System#nanoTime()} when the marker was first read, meaningful once {@link #markerSeen()}. */
    long markerSeenNanos() {
        return markerSeenNanos;
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        poll();
    }
}
