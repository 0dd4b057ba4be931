package dev.pvkit.conformance.certify;

import dev.pvkit.backends.blk.BlkDeviceFacts;
import dev.pvkit.backends.blk.BlkRequestListener;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.TransportTrace;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns QEMU's trace of the driver's virtio-pci register accesses into transport events in the log: the source
 * that shows status, feature and queue set-up steps, which vhost-user never carries. Also notes when the last
 * register access came, which tells a passive run that the guest's drivers have left the device alone.
 */
final class TransportCapture {
    private final TransportTrace trace;
    private volatile long lines;
    private volatile long lastLineNanos;
    private final AtomicLong requests = new AtomicLong();

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

    /**
     * {@code inner}, and each request it is told of also counts as the driver using the device (a driver on the
     * legacy I/O BAR leaves no line in the virtio-pci trace, but its requests still reach the back-end).
     */
    BlkRequestListener countingRequests(BlkRequestListener inner) {
        return new BlkRequestListener() {
            @Override
            public void requestServed(int queue, int head, long type, long sector, long dataOutBytes, long dataInBytes,
                                      long segments, int segmentFlagsOred, int status) {
                requests.incrementAndGet();
                lastLineNanos = System.nanoTime();
                inner.requestServed(queue, head, type, sector, dataOutBytes, dataInBytes, segments, segmentFlagsOred, status);
            }

            @Override
            public void featuresNegotiated(BlkDeviceFacts facts) {
                inner.featuresNegotiated(facts);
            }
        };
    }

    TransportTrace trace() {
        return trace;
    }

    /** virtio-pci register accesses and requests seen so far: whether the guest's drivers have used the device. */
    long accesses() {
        return lines + requests.get();
    }

    /**
     * {@link System#nanoTime()} of the last register access or request, meaningful once {@link #accesses()} is
     * positive.
     */
    long lastAccessNanos() {
        return lastLineNanos;
    }
}
