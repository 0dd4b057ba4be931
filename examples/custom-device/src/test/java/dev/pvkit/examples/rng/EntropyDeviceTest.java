package dev.pvkit.examples.rng;

import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The entropy device in this process, through the SDK's test kit ({@link DeviceHarness}: the SDK's driver models and
 * device queues, no socket, no QEMU): what it fills, what it answers to chains no virtio-rng driver should post.
 */
class EntropyDeviceTest {

    @ParameterizedTest
    @EnumSource(Format.class)
    void fillsEveryWritableBufferWithTheGeneratorsBytes(Format ring) {
        try (DeviceHarness h = DeviceHarness.of(new EntropyDevice(new Random(7))).ring(ring).queueSize(16).start()) {
            h.post(0, new byte[0], 64);                                              // what Linux posts
            h.post(0, Buffers.of().writable(3, 1, 60));                            // split over three descriptors
            h.post(0, Buffers.of().writable(16, 16).indirect(true));               // through an indirect table
            List<Completion> done = h.awaitCompletions(3);

            Random same = new Random(7);
            assertThat(done).extracting(Completion::written).containsExactly(64L, 64L, 32L);
            for (Completion c : done) {
                byte[] want = new byte[(int) c.written()];
                same.nextBytes(want);
                assertThat(c.writtenBytes()).as("chain %d", c.id()).isEqualTo(want);
            }
            assertThat(h.recorder(0).rejections()).isEmpty();
            assertThat(h.problems()).isEmpty();
        }
    }

    /** A hostile or broken driver: a chain with only a device-readable buffer gets length 0 and one log line. */
    @Test
    void aReadableOnlyChainIsAnsweredWithNothingWrittenAndALogLine() {
        String log = capturingStandardError(() -> {
            try (DeviceHarness h = DeviceHarness.of(new EntropyDevice(new Random(1))).start()) {
                h.post(0, new byte[]{1, 2, 3, 4}, 0);                                 // readable only
                h.post(0, Buffers.of(new byte[8]).writable(16));                     // readable, then writable
                h.post(0, new byte[0], 8);                                           // and a good one after them
                List<Completion> done = h.awaitCompletions(3);
                assertThat(done).extracting(Completion::written).containsExactly(0L, 16L, 8L);
                assertThat(h.problems()).as("the harness saw nothing wrong with the device").isEmpty();
            }
        });
        assertThat(log.lines().filter(l -> l.contains("device-readable bytes"))).hasSize(2)
                .first().asString().contains("WARN").contains("has 4 device-readable bytes");
    }

    /** A driver that posts a huge buffer gets at most 64 KiB, and the used length says how much. */
    @Test
    void aHugeBufferGetsAtMost64KiB() {
        try (DeviceHarness h = DeviceHarness.of(new EntropyDevice()).maxChainBytes(200_000).start()) {
            h.post(0, Buffers.of().writable(100_000, 50_000));
            Completion c = h.awaitCompletions(1).get(0);
            assertThat(c.written()).isEqualTo(EntropyDevice.MAX_BYTES_PER_REQUEST);
            assertThat(Arrays.copyOfRange(c.writable(), EntropyDevice.MAX_BYTES_PER_REQUEST, 150_000))
                    .as("past the used length").containsOnly(DeviceHarness.UNWRITTEN);
        }
    }

    /** slf4j-simple writes to whatever System.err is at the time, so its lines can be caught here. */
    private static String capturingStandardError(Runnable r) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(original);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        original.print(text);
        return text;
    }
}
