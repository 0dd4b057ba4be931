package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class TransportTraceReaderTest {
    private static final String COMMON = "31019@1796395354.227850:memory_region_ops_write cpu 0 mr 0x56238d8a8d70 "
            + "addr 0xfebf8014 value 0x3 size 1 name 'virtio-pci-common-virtio-blk'";
    private static final String ISR = "31019@1796395354.227475:memory_region_ops_read cpu 0 mr 0x56238d8a8e90 "
            + "addr 0xfebf9000 value 0x0 size 1 name 'virtio-pci-isr-virtio-blk'";
    private static final String RTC = "31019@1796395354.105347:memory_region_ops_write cpu 0 mr 0x56238d6fab40 "
            + "addr 0x70 value 0x8f size 1 name 'rtc-index'";
    private static final String LEGACY = "31019@1796395354.105347:memory_region_ops_read cpu 0 mr 0x56238d6fab40 "
            + "addr 0xc000 value 0x0 size 4 name 'virtio-pci'";

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void passesOnlyVirtioPciLinesInOrderEndsAtTheMarkerAndDeletesTheFifo() throws Exception {
        Path fifo = tmp.resolve(TransportTraceReader.FIFO);
        List<String> got = new CopyOnWriteArrayList<>();
        TransportTraceReader r = TransportTraceReader.open(fifo, got::add);
        assertThat(fifo).exists();
        // like QEMU: a writer of its own, thousands of other lines around ours, a partial line at its end
        try (OutputStream out = new FileOutputStream(fifo.toFile())) {
            StringBuilder noise = new StringBuilder();
            for (int i = 0; i < 5000; i++) noise.append(RTC).append('\n');
            out.write((noise + COMMON + "\n" + LEGACY + "\n" + "some qemu message\n" + noise + ISR + "\n" + "x".repeat(70_000)
                    + "\n" + COMMON + "\n" + COMMON.substring(0, 40)).getBytes(StandardCharsets.ISO_8859_1));
        }
        r.finish(Duration.ofSeconds(10));
        assertThat(got).containsExactly(COMMON, ISR, COMMON);
        assertThat(r.kept()).isEqualTo(3);
        assertThat(r.dropped()).isZero();
        assertThat(fifo).doesNotExist();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void endsWithoutAnyWriter() throws Exception {
        Path fifo = tmp.resolve(TransportTraceReader.FIFO);
        List<String> got = new CopyOnWriteArrayList<>();
        TransportTraceReader r = TransportTraceReader.open(fifo, got::add);
        r.endOfInput();
        r.endOfInput();
        r.finish(Duration.ofSeconds(10));
        assertThat(got).isEmpty();
        assertThat(fifo).doesNotExist();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aThrowingConsumerLosesItsLineOnly() throws Exception {
        Path fifo = tmp.resolve(TransportTraceReader.FIFO);
        List<String> got = new CopyOnWriteArrayList<>();
        TransportTraceReader r = TransportTraceReader.open(fifo, l -> {
            if (got.isEmpty() && l.contains("common")) {
                got.add("thrown");
                throw new IllegalStateException("boom");
            }
            got.add(l);
        });
        try (OutputStream out = new FileOutputStream(fifo.toFile())) {
            out.write((COMMON + "\n" + ISR + "\n").getBytes(StandardCharsets.ISO_8859_1));
        }
        r.finish(Duration.ofSeconds(10));
        assertThat(got).containsExactly("thrown", ISR);
        assertThat(r.consumerFailures()).isEqualTo(1);
    }

    @Test
    void recognizesTheRegionNameAtTheLineEnd() {
        assertThat(matches(COMMON)).isTrue();
        assertThat(matches(ISR)).isTrue();
        assertThat(matches(RTC)).isFalse();
        assertThat(matches(LEGACY)).as("the legacy I/O BAR's region is named just 'virtio-pci'").isFalse();
        assertThat(matches("name 'virtio-pci-")).isFalse();
        assertThat(matches("'virtio-pci-x'")).isTrue();
        assertThat(matches("virtio-pci-x'")).isFalse();
        assertThat(matches("'")).isFalse();
        assertThat(matches("")).isFalse();
    }

    private static boolean matches(String line) {
        byte[] b = ("junk\n" + line + "\njunk").getBytes(StandardCharsets.ISO_8859_1);
        return TransportTraceReader.isVirtioPci(b, 5, 5 + line.length());
    }

    @Test
    void commandLineWritesTheTraceIntoTheFifoNextToTheConsoleLog() throws IOException {
        GuestImage image = GuestImage.of(Files.writeString(tmp.resolve("vmlinuz"), "k"), Files.writeString(tmp.resolve("initrd"), "i"));
        List<String> plain = QemuCommandLine.build(QemuOptions.of(image), Accelerator.TCG, Path.of("/r/console.log"), Path.of("/r/a.sock"));
        assertThat(plain).doesNotContain("-D", "-trace", "-msg");
        List<String> cmd = QemuCommandLine.build(QemuOptions.of(image).transportTrace(l -> { }).extraArgs("-S"),
                Accelerator.TCG, Path.of("/r/console.log"), Path.of("/r/a.sock"));
        assertThat(cmd.subList(cmd.size() - 9, cmd.size())).containsExactly("-msg", "timestamp=on",
                "-trace", "memory_region_ops_write", "-trace", "memory_region_ops_read", "-D", "/r/" + TransportTraceReader.FIFO, "-S");
    }
}
