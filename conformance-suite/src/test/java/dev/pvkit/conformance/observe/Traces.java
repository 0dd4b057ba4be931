package dev.pvkit.conformance.observe;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Recorded QEMU transport traces under {@code src/test/resources/dev/pvkit/conformance/traces/} (see the README
 * there), turned into events by {@link QemuTraceParser}.
 */
public final class Traces {
    private static final String DIR = "/dev/pvkit/conformance/traces/";

    private Traces() {
    }

    /** The raw lines of a recorded trace, e.g. {@code lines("linux-blk.trace")}. */
    public static List<String> lines(String name) {
        try (InputStream in = Traces.class.getResourceAsStream(DIR + name)) {
            if (in == null) throw new IllegalArgumentException("no recorded trace " + DIR + name);
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The events of a recorded trace, in the file's order (QEMU's order). Every line must parse: a recorded trace
     * holds only virtio-pci lines, so a line that does not is a broken file or a parser bug, and throws.
     */
    public static List<TransportEvent> load(String name) {
        List<TransportEvent> events = new ArrayList<>();
        int n = 0;
        for (String line : lines(name)) {
            n++;
            if (line.isBlank()) continue;
            final int lineNo = n;
            events.add(QemuTraceParser.parse(line).orElseThrow(
                    () -> new IllegalStateException(name + ":" + lineNo + ": not a virtio-pci trace line: " + line)));
        }
        return events;
    }
}
