package dev.pvkit.conformance.observe;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The glue between QEMU's trace lines and the event log: give it to {@code QemuOptions.transportTrace}, and each
 * virtio-pci line becomes a {@link TransportEvent} in the log ({@link QemuTraceParser}). A line that does not parse
 * is skipped and counted, never thrown at the caller (the trace reader's thread).
 */
public final class TransportTrace implements Consumer<String> {
    private final EventLog log;
    private final AtomicLong parsed = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicReference<String> firstSkipped = new AtomicReference<>();

    public TransportTrace(EventLog log) {
        this.log = Objects.requireNonNull(log);
    }

    @Override
    public void accept(String line) {
        var e = QemuTraceParser.parse(line);
        if (e.isPresent()) {
            log.add(e.get());
            parsed.incrementAndGet();
        } else {
            skipped.incrementAndGet();
            firstSkipped.compareAndSet(null, line);
        }
    }

    /** Lines turned into events so far. */
    public long parsed() {
        return parsed.get();
    }

    /** Lines that were no virtio-pci register access QEMU's trace format describes. */
    public long skipped() {
        return skipped.get();
    }

    /** The first skipped line, for a diagnosis, or null. */
    public String firstSkipped() {
        return firstSkipped.get();
    }
}
