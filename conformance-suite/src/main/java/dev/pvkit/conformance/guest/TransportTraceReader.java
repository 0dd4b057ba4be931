package dev.pvkit.conformance.guest;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Reads QEMU's trace log ({@code -D}) from a FIFO in the run directory and passes the lines of the driver's
 * virtio-pci register accesses (memory-region name starting with {@code virtio-pci-}) to a consumer, as they come.
 *
 * <p>QEMU writes about 20,000 trace lines a second during a TCG boot (VGA, PIC, RTC, HPET, ...); nearly all are
 * dropped here without making a String: the reader scans raw bytes and looks only at the quoted region name that
 * ends each {@code memory_region_ops_*} line. The reader never waits for the consumer: kept lines go through a
 * bounded queue to a delivery thread, and a line that finds the queue full is dropped and counted
 * ({@link #dropped()}), so a slow consumer can never stall QEMU's vCPU threads on a full pipe.
 *
 * <p>The FIFO is opened read-write by the harness before QEMU starts: so QEMU's open of its log does not wait for a
 * reader, and the harness's open does not wait for QEMU (which may die before opening it). The price is that QEMU's
 * exit gives no end-of-file (the harness holds a write end); {@link #endOfInput()}, called when QEMU has exited,
 * writes an end marker into the FIFO behind everything QEMU wrote, and the reader stops at it. The FIFO is deleted
 * when the reader stops.
 */
final class TransportTraceReader {
    /** The FIFO's name in the run directory. */
    static final String FIFO = "qemu-trace.fifo";
    /** Kept lines waiting for the consumer; a boot has a few hundred, a long workload a few thousand. */
    static final int QUEUE_LIMIT = 1 << 16;
    private static final byte[] REGION_PREFIX = "virtio-pci-".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_MARKER = "\u0000pvkit-trace-end".getBytes(StandardCharsets.US_ASCII);
    private static final String POISON = new String("end of trace");

    private final Path fifo;
    private final RandomAccessFile pipe;
    private final Consumer<String> consumer;
    private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_LIMIT);
    private final AtomicBoolean endRequested = new AtomicBoolean();
    private final AtomicLong kept = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong consumerFailures = new AtomicLong();
    private final Thread reader;
    private final Thread deliverer;

    private TransportTraceReader(Path fifo, RandomAccessFile pipe, Consumer<String> consumer) {
        this.fifo = fifo;
        this.pipe = pipe;
        this.consumer = consumer;
        this.reader = new Thread(this::readLoop, "pvkit-trace-reader");
        this.deliverer = new Thread(this::deliverLoop, "pvkit-trace-delivery");
        reader.setDaemon(true);
        deliverer.setDaemon(true);
    }

    /** Makes the FIFO (replacing a leftover one), opens it and starts reading. */
    static TransportTraceReader open(Path fifo, Consumer<String> consumer) throws IOException, InterruptedException {
        Files.deleteIfExists(fifo);
        mkfifo(fifo);
        RandomAccessFile pipe;
        try {
            // "rw" is O_RDWR: on Linux that never blocks on a FIFO, whether or not QEMU has opened it yet
            pipe = new RandomAccessFile(fifo.toFile(), "rw");
        } catch (IOException e) {
            Files.deleteIfExists(fifo);
            throw e;
        }
        TransportTraceReader r = new TransportTraceReader(fifo, pipe, consumer);
        r.reader.start();
        r.deliverer.start();
        return r;
    }

    /** The QEMU arguments that write the virtio-pci register trace, with host timestamps, into {@code fifo}. */
    static java.util.List<String> qemuArgs(Path fifo) {
        return java.util.List.of("-msg", "timestamp=on", "-trace", "memory_region_ops_write",
                "-trace", "memory_region_ops_read", "-D", fifo.toString());
    }

    private static void mkfifo(Path fifo) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", "-m", "600", fifo.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("mkfifo " + fifo + " failed: " + out);
        }
    }

    /**
     * QEMU has exited (or been killed): everything it wrote is in the FIFO; mark the end behind it. Idempotent; never
     * blocks the caller (the marker is written from a thread of its own, in case the pipe is momentarily full).
     */
    void endOfInput() {
        if (!endRequested.compareAndSet(false, true)) return;
        Thread t = new Thread(() -> {
            try {
                byte[] marker = new byte[END_MARKER.length + 2];
                marker[0] = '\n';
                System.arraycopy(END_MARKER, 0, marker, 1, END_MARKER.length);
                marker[marker.length - 1] = '\n';
                if (reader.isAlive()) pipe.write(marker);
            } catch (IOException e) {
                // the reader has stopped and closed the pipe already
            }
        }, "pvkit-trace-end");
        t.setDaemon(true);
        t.start();
    }

    /** Ends the input and waits (bounded) until every kept line has reached the consumer. */
    void finish(Duration limit) throws InterruptedException {
        endOfInput();
        long deadline = System.nanoTime() + limit.toNanos();
        reader.join(Math.max(1, limit.toMillis()));
        deliverer.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (reader.isAlive()) {
            // cannot happen unless the marker could not be written: give up on the rest, free the FIFO
            closeQuietly();
            deleteFifo();
        }
    }

    /** Lines passed on (or queued for) the consumer so far. */
    long kept() {
        return kept.get();
    }

    /** virtio-pci lines lost because the consumer fell {@value #QUEUE_LIMIT} lines behind. */
    long dropped() {
        return dropped.get();
    }

    /** Lines whose consumer threw (the exception is not propagated; the line is lost to it). */
    long consumerFailures() {
        return consumerFailures.get();
    }

    private void readLoop() {
        byte[] buf = new byte[1 << 16];
        int start = 0;
        int end = 0;
        boolean overlong = false;
        try {
            while (true) {
                if (end == buf.length) {
                    if (start > 0) {
                        System.arraycopy(buf, start, buf, 0, end - start);
                        end -= start;
                        start = 0;
                    } else {
                        // a line longer than the buffer is no trace line of ours: skip to its end
                        overlong = true;
                        start = end = 0;
                    }
                }
                int n = pipe.read(buf, end, buf.length - end);
                if (n < 0) break;
                int scanFrom = end;
                end += n;
                for (int i = scanFrom; i < end; i++) {
                    if (buf[i] != '\n') continue;
                    if (overlong) {
                        overlong = false;
                    } else if (isEndMarker(buf, start, i)) {
                        return;
                    } else if (isVirtioPci(buf, start, i)) {
                        String line = new String(buf, start, i - start, StandardCharsets.ISO_8859_1);
                        if (queue.offer(line)) kept.incrementAndGet();
                        else dropped.incrementAndGet();
                    }
                    start = i + 1;
                }
                if (start == end) start = end = 0;
            }
        } catch (IOException e) {
            System.out.println("[pvkit qemu] transport trace: reading " + fifo + " failed: " + e.getMessage());
        } finally {
            closeQuietly();
            deleteFifo();
            try {
                queue.put(POISON);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether {@code buf[from, to)} is a line whose last field is a quoted memory-region name starting with
     * {@code virtio-pci-}: {@code ... name 'virtio-pci-common-virtio-blk'}. Region names hold no quotes.
     */
    static boolean isVirtioPci(byte[] buf, int from, int to) {
        int last = to - 1;
        if (last <= from || buf[last] != '\'') return false;
        int open = last - 1;
        while (open >= from && buf[open] != '\'') open--;
        if (open < from || last - open - 1 < REGION_PREFIX.length) return false;
        for (int k = 0; k < REGION_PREFIX.length; k++) {
            if (buf[open + 1 + k] != REGION_PREFIX[k]) return false;
        }
        return true;
    }

    private static boolean isEndMarker(byte[] buf, int from, int to) {
        if (to - from != END_MARKER.length) return false;
        for (int k = 0; k < END_MARKER.length; k++) {
            if (buf[from + k] != END_MARKER[k]) return false;
        }
        return true;
    }

    @SuppressWarnings("StringEquality")
    private void deliverLoop() {
        try {
            while (true) {
                String line = queue.take();
                if (line == POISON) break;
                try {
                    consumer.accept(line);
                } catch (RuntimeException e) {
                    if (consumerFailures.getAndIncrement() == 0) {
                        System.out.println("[pvkit qemu] transport trace: the consumer failed on " + line + ": " + e);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (dropped.get() > 0) {
            System.out.println("[pvkit qemu] transport trace: " + dropped.get()
                    + " virtio-pci lines dropped, the consumer fell " + QUEUE_LIMIT + " lines behind");
        }
    }

    private void closeQuietly() {
        try {
            pipe.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    private void deleteFifo() {
        try {
            Files.deleteIfExists(fifo);
        } catch (IOException ignored) {
            // a leftover FIFO in the run directory is harmless
        }
    }
}
