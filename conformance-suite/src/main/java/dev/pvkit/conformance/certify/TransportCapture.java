package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.TransportTrace;

/**
 * Turns QEMU's trace of the driver's virtio-pci register accesses into transport events in the log: the source
 * that shows status, feature and queue set-up steps, which vhost-user never carries. Also notes when the last
 * register access came, which tells a passive run that the guest's drivers have left the device alone.
 */
final class TransportCapture {
    private final TransportTrace trace;
    private volatile long lines;
    private volatile long lastLineNanos;

    private TransportCapture(EventLog log) {
        this.trace = new TransportTrace(log);
    }

    static TransportCapture attach(QemuOptions q, EventLog log) {
        TransportCapture c = new TransportCapture(log);
        q.transportTrace(line -> {
            c.lastLineNanos = System.nanoTime();
            c.lines++;  // one reader thread writes it
            c.trace.accept(line);
        });
        return c;
    }

    TransportTrace trace() {
        return trace;
    }

    /** virtio-pci register accesses seen so far. */
    long accesses() {
        return lines;
    }

    /** {@link System#nanoTime()} of the last register access, meaningful once {@link #accesses()} is positive. */
    long lastAccessNanos() {
        return lastLineNanos;
    }
}
