package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request's buffer views ({@link ReadableBuffers}, {@link WritableBuffers}): one range of bytes over however the
 * driver split its buffers, read and written in place, and nothing outside the range ever touched.
 */
class ChainBuffersTest {

    /** Serves each request with the test's function, and keeps what it threw. */
    static final class ViewDevice implements VirtioDevice {
        final ToLongFunction<Request> serve;
        final List<Throwable> failures = new CopyOnWriteArrayList<>();

        ViewDevice(ToLongFunction<Request> serve) {
            this.serve = serve;
        }

        @Override
        public int deviceId() {
            return 0x3f;
        }

        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize() {
            return 64;
        }

        @Override
        public byte[] config() {
            return new byte[0];
        }

        @Override
        public void submit(Request request) {
            long written = 0;
            try {
                written = serve.applyAsLong(request);
            } catch (RuntimeException | AssertionError e) {
                failures.add(e);
            }
            request.complete(written);
        }
    }

    private static Completion serveOne(Format format, Buffers buffers, ViewDevice device) {
        try (DeviceHarness h = DeviceHarness.of(device).ring(format).queueSize(16).start()) {
            h.post(0, buffers);
            List<Completion> done = h.run();
            assertThat(device.failures).isEmpty();
            assertThat(done).hasSize(1);
            return done.get(0);
        }
    }

    private static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void aHeaderSplitAcrossDescriptorsReadsAsOneValue(Format format) {
        // 16 bytes 0x00..0x0f, split 3 + 13: the 32-bit type straddles the descriptors.
        List<Long> seen = new ArrayList<>();
        ViewDevice device = new ViewDevice(r -> {
            ReadableBuffers in = r.readable();
            seen.add(in.length());
            seen.add((long) in.readLe32(0));
            seen.add((long) in.readLe16(2));
            seen.add(in.readLe64(8));
            seen.add((long) in.readU8(15));
            return 0;
        });
        serveOne(format, Buffers.of(bytes(0, 3), bytes(3, 13)).writable(1), device);
        assertThat(seen).containsExactly(16L, 0x03020100L, 0x0302L, 0x0f0e0d0c0b0a0908L, 0x0fL);
    }

    @ParameterizedTest
    @EnumSource(Format.class)
    void theStatusByteIsTheLastWritableByteWhereverTheDriverPutIt(Format format) {
        ViewDevice device = new ViewDevice(r -> {
            WritableBuffers out = r.writable();
            out.writeU8(out.length() - 1, (byte) 0x5a);
            out.writeLe32(2, 0xa1b2c3d4); // bytes 2..5: straddles the first two buffers
            return out.length();
        });
        Completion c = serveOne(format, Buffers.of(bytes(0, 16)).writable(4, 3, 1), device);
        byte u = DeviceHarness.UNWRITTEN;
        assertThat(c.writable()).containsExactly(u, u, (byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1, u, (byte) 0x5a);
    }

    @Test
    void writeViaFillsPieceBySegmentWithOffsetsFromWhereItStarted() {
        List<Long> offsets = new ArrayList<>();
        ViewDevice device = new ViewDevice(r -> {
            r.writable().writeVia(2, 12, (view, offset) -> {
                offsets.add(offset);
                for (long i = offset; view.hasRemaining(); i++) view.put((byte) (0x40 + i));
            });
            return 14;
        });
        Completion c = serveOne(Format.SPLIT, Buffers.of(bytes(0, 16)).writable(5, 7, 4), device);
        assertThat(offsets).containsExactly(0L, 3L, 10L);
        byte[] expected = new byte[16];
        Arrays.fill(expected, DeviceHarness.UNWRITTEN);
        for (int i = 0; i < 12; i++) expected[2 + i] = (byte) (0x40 + i);
        assertThat(c.writable()).containsExactly(expected);
    }

    @Test
    void readViaSkipsTheHeaderAndSeesTheDataInOrder() {
        ByteBuffer collected = ByteBuffer.allocate(16);
        ViewDevice device = new ViewDevice(r -> {
            r.readable().readVia(16, 16, (view, offset) -> {
                assertThat(offset).isEqualTo(collected.position());
                collected.put(view);
            });
            return 0;
        });
        serveOne(Format.PACKED, Buffers.of(bytes(0, 16), bytes(100, 10), bytes(110, 6)).writable(1), device);
        assertThat(collected.array()).containsExactly(bytes(100, 16));
    }

    @Test
    void nothingOutsideTheRangeIsReadOrWritten() {
        List<String> refused = new ArrayList<>();
        ViewDevice device = new ViewDevice(r -> {
            WritableBuffers out = r.writable();
            ReadableBuffers in = r.readable();
            List<Runnable> outside = List.of(
                    () -> out.writeU8(out.length(), (byte) 1),
                    () -> out.writeU8(-1, (byte) 1),
                    () -> out.writeLe32(out.length() - 3, 7),
                    () -> out.write(1, new byte[8], 0, 8),
                    () -> out.writeVia(0, out.length() + 1, (view, offset) -> view.position(view.limit())),
                    () -> in.readLe64(in.length() - 7),
                    () -> in.read(0, new byte[17], 0, 17),
                    () -> in.readVia(-1, 2, (view, offset) -> view.position(view.limit())),
                    () -> in.readVia(4, Long.MAX_VALUE, (view, offset) -> view.position(view.limit())));
            for (Runnable access : outside) {
                try {
                    access.run();
                } catch (IndexOutOfBoundsException e) {
                    refused.add(e.getMessage());
                }
            }
            return 0;
        });
        Completion c = serveOne(Format.SPLIT, Buffers.of(bytes(0, 16)).writable(5, 3), device);
        assertThat(refused).hasSize(9);
        byte[] untouched = new byte[8];
        Arrays.fill(untouched, DeviceHarness.UNWRITTEN);
        assertThat(c.writable()).containsExactly(untouched);
    }

    @Test
    void aTransfersOwnExceptionComesThroughAndTheViewsServeOn() {
        List<String> seen = new ArrayList<>();
        ViewDevice device = new ViewDevice(r -> {
            ReadableBuffers in = r.readable();
            try {
                in.readVia(0, 16, (view, offset) -> {
                    throw new IOException("disk gone");
                });
            } catch (IOException e) {
                seen.add(e.getMessage());
            }
            assertThatThrownBy(() -> in.readVia(0, 8, (view, offset) ->
                    in.readVia(8, 8, (inner, o) -> inner.position(inner.limit()))))
                    .isInstanceOf(IllegalStateException.class);
            byte[] again = new byte[16];
            in.read(0, again, 0, 16);
            seen.add(Arrays.toString(again));
            return 0;
        });
        serveOne(Format.SPLIT, Buffers.of(bytes(0, 16)).writable(1), device);
        assertThat(seen).containsExactly("disk gone", Arrays.toString(bytes(0, 16)));
    }

    /** The views go to the request's own memory: what {@link Request#memory()} holds is what they read. */
    @Test
    void theViewsAndTheRequestsMemoryAgree() {
        List<Boolean> same = new ArrayList<>();
        ViewDevice device = new ViewDevice(r -> {
            GuestMemory m = r.memory();
            long first = r.chain().readable().get(0).address();
            same.add(m.readLe64(first) == r.readable().readLe64(0));
            return 0;
        });
        serveOne(Format.PACKED, Buffers.of(bytes(7, 16)).writable(1), device);
        assertThat(same).containsExactly(true);
    }
}
