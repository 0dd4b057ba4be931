package dev.pvkit.sdk.testkit;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.testkit.DeviceHarness.Format;
import dev.pvkit.sdk.testkit.QueueRecorder.Rejection;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainRule;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.Reaction;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kit itself: synchronous and asynchronous devices, a device's timers and watches, rejections, refused completions. */
class DeviceHarnessTest {
    static final long INDIRECT = VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);

    private final ScheduledExecutorService elsewhere = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopElsewhere() {
        elsewhere.shutdownNow();
    }

    /** Every request's readable bytes come back reversed in its writable part; lifecycle calls are recorded. */
    static class EchoDevice implements VirtioDevice {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        volatile DeviceContext context;
        private volatile int word;

        @Override
        public int deviceId() {
            return 0x3f;
        }

        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) | INDIRECT
                    | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        }

        @Override
        public int queueCount() {
            return 2;
        }

        @Override
        public int maxQueueSize() {
            return 256;
        }

        @Override
        public byte[] config() {
            return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x50564b54).putInt(word).array();
        }

        @Override
        public boolean writeConfig(int offset, byte[] data) {
            if (offset != 4 || data.length != 4) return false;
            word = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt();
            return true;
        }

        @Override
        public long process(int queue, Chain chain, GuestMemory memory) {
            threads.add(Thread.currentThread().getName());
            ChainReader in = chain.reader(memory);
            byte[] data = in.readBytes((int) in.remaining());
            byte[] reversed = new byte[data.length];
            for (int i = 0; i < data.length; i++) reversed[i] = data[data.length - 1 - i];
            ChainWriter out = chain.writer(memory);
            out.write(reversed, 0, (int) Math.min(reversed.length, out.remaining()));
            return out.written();
        }

        @Override
        public void featuresNegotiated(long features) {
            events.add("features 0x" + Long.toHexString(features));
        }

        @Override
        public void statusChanged(int status) {
            events.add("status " + status);
        }

        @Override
        public void reset() {
            events.add("reset");
        }

        @Override
        public void attach(DeviceContext ctx) {
            events.add("attach");
            context = ctx;
        }
    }

    /** Keeps every request it is given and completes none itself. */
    static class HoldingDevice extends EchoDevice {
        final BlockingQueue<Request> held = new LinkedBlockingQueue<>();

        @Override
        public void submit(Request request) {
            threads.add(Thread.currentThread().getName());
            held.add(request);
        }

        Request next() throws InterruptedException {
            Request r = held.poll(10, TimeUnit.SECONDS);
            assertThat(r).as("a request reached the device").isNotNull();
            return r;
        }
    }

    /** Writes {@code mark} into the request's first writable byte and completes it with 1 byte written. */
    static boolean complete(Request r, int mark) {
        r.memory().writeU8(r.chain().writable().get(0).address(), (byte) mark);
        return r.complete(1);
    }

    // ------------------------------------------------------------------------------------------------ synchronous

    @ParameterizedTest
    @EnumSource(Format.class)
    void aSynchronousDeviceIsServedOnEitherRingFormat(Format format) {
        EchoDevice device = new EchoDevice();
        try (DeviceHarness h = DeviceHarness.of(device).ring(format).queueSize(16).start()) {
            long packed = format == Format.PACKED ? VirtioFeatures.bit(VirtioFeatures.RING_PACKED) : 0;
            assertThat(h.features()).isEqualTo(device.features() & ~VirtioFeatures.bit(VirtioFeatures.RING_PACKED) | packed);
            assertThat(device.events).containsExactly("attach", "status 1", "status 3",
                    "features 0x" + Long.toHexString(h.features()), "status 11", "status 15");

            int a = h.post(0, new byte[]{1, 2, 3}, 5);
            int b = h.post(1, Buffers.of(new byte[]{4}, new byte[]{5, 6}).writable(1, 2).indirect(true));
            List<Completion> done = h.run();

            assertThat(done).extracting(Completion::queue, Completion::id, Completion::written)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(0, a, 3L), org.assertj.core.groups.Tuple.tuple(1, b, 3L));
            assertThat(done.get(0).writable()).as("beyond what was written: untouched")
                    .containsExactly(3, 2, 1, DeviceHarness.UNWRITTEN, DeviceHarness.UNWRITTEN);
            assertThat(done.get(0).writtenBytes()).containsExactly(3, 2, 1);
            assertThat(done.get(1).writable()).as("two writable buffers, concatenated").containsExactly(6, 5, 4);
            assertThat(device.threads).allSatisfy(t -> assertThat(t).startsWith("pvkit-harness"));
            assertThat(h.recorder(0).chains()).singleElement().satisfies(c -> assertThat(c.readableBytes()).isEqualTo(3));
            assertThat(h.recorder(1).chains()).singleElement().satisfies(c -> assertThat(c.writable()).hasSize(2));
            assertThat(h.recorder(0).kicks()).isEqualTo(1);
            assertThat(h.recorder(0).used()).containsExactly(new QueueRecorder.Used(0, a, 3));
            assertThat(h.run()).as("nothing new").isEmpty();
            assertThat(h.completions()).hasSize(2);
            assertThat(h.outstanding()).isZero();
        }
        assertThat(device.events).last().isEqualTo("reset");
    }

    @Test
    void chainsPostedPastARingsLengthReuseTheirBuffersOnceReaped() {
        try (DeviceHarness h = DeviceHarness.of(new EchoDevice()).queueSize(8).start()) {            // 4 chains of 2
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 4; i++) h.post(0, new byte[]{(byte) round, (byte) i}, 2);
                assertThatThrownBy(() -> h.post(0, new byte[]{1}, 1)).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("no room");
                List<Completion> done = h.awaitCompletions(4);
                for (int i = 0; i < 4; i++) assertThat(done.get(i).writable()).containsExactly(i, round);
            }
        }
    }

    @Test
    void configSpaceIsReadAndWrittenAsADriverWouldAndAnnouncedChangesAreCounted() {
        EchoDevice device = new EchoDevice();
        try (DeviceHarness h = DeviceHarness.of(device).start()) {
            assertThat(h.writeConfig(4, new byte[]{7, 0, 0, 0})).isTrue();
            assertThat(h.config()).containsExactly(0x54, 0x4b, 0x56, 0x50, 7, 0, 0, 0);
            assertThat(h.writeConfig(0, new byte[]{1, 2, 3, 4})).as("refused by the device").isFalse();
            assertThat(h.writeConfig(6, new byte[]{1, 2, 3, 4})).as("past the end").isFalse();
            assertThat(h.configChangesAnnounced()).isZero();
            assertThat(device.context.announceConfigChange()).isTrue();
            assertThat(h.configChangesAnnounced()).isOne();
        }
    }

    // ------------------------------------------------------------------------------------------------ asynchronous

    @Test
    void anAsynchronousDeviceCompletingOutOfOrderFromAnotherThreadIsPublishedInThatOrder() throws Exception {
        HoldingDevice device = new HoldingDevice();
        try (DeviceHarness h = DeviceHarness.of(device).ring(Format.PACKED).start()) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) ids.add(h.post(0, new byte[]{(byte) i}, 1));
            assertThat(h.run()).as("nothing completed yet").isEmpty();
            List<Request> held = new ArrayList<>();
            for (int i = 0; i < 4; i++) held.add(device.next());
            assertThat(device.threads).allSatisfy(t -> assertThat(t).startsWith("pvkit-harness"));

            elsewhere.submit(() -> {
                for (int i = 3; i >= 0; i--) complete(held.get(i), 0x10 + i);
            }).get();
            List<Completion> done = h.awaitCompletions(4);

            List<Integer> reversed = new ArrayList<>(ids);
            Collections.reverse(reversed);
            assertThat(done).extracting(Completion::id).containsExactlyElementsOf(reversed);
            assertThat(done).extracting(c -> c.writable()[0]).containsExactly((byte) 0x13, (byte) 0x12, (byte) 0x11, (byte) 0x10);
            assertThat(h.problems()).isEmpty();
        }
    }

    @Test
    void aSecondCompletionIsRefusedLoggedAndChangesNothing() throws Exception {
        HoldingDevice device = new HoldingDevice();
        try (DeviceHarness h = DeviceHarness.of(device).start()) {
            h.post(0, new byte[]{1}, 1);
            h.run();
            Request r = device.next();
            assertThat(elsewhere.submit(() -> complete(r, 1)).get()).isTrue();
            assertThat(h.awaitCompletions(1)).hasSize(1);
            assertThat(elsewhere.submit(() -> r.complete(1)).get()).as("second completion, elsewhere").isFalse();
            assertThat(r.complete(1)).as("and once more, here").isFalse();
            assertThat(h.problems()).hasSize(2).allSatisfy(p -> assertThat(p).contains("completed twice"));
            assertThat(h.run()).as("no second used entry").isEmpty();
            assertThat(h.recorder(0).used()).hasSize(1);
        }
    }

    @Test
    void closingCancelsWhatTheDeviceStillHoldsAndDropsItsLateCompletion() throws Exception {
        HoldingDevice device = new HoldingDevice();
        DeviceHarness h = DeviceHarness.of(device).requestDrain(Duration.ofMillis(100)).start();
        h.post(0, new byte[]{1}, 1);
        h.run();
        Request r = device.next();
        h.close();
        assertThat(r.isCancelled()).isTrue();
        assertThat(r.complete(1)).as("completion after cancellation").isFalse();
        assertThat(h.problems()).satisfiesExactly(
                p -> assertThat(p).contains("queue 0: 1 request(s) the device did not complete within 100 ms"),
                p -> assertThat(p).contains("chain " + r.chain().id() + " completed after the harness stopped its ring"));
        assertThat(device.events).last().isEqualTo("reset");
    }

    @Test
    void aDeviceThatThrowsHasTheChainReturnedEmptyAndAnErrorReachesTheTest() {
        EchoDevice device = new EchoDevice() {
            @Override
            public long process(int queue, Chain chain, GuestMemory memory) {
                if (chain.readableBytes() == 1) throw new IllegalStateException("device bug");
                throw new AssertionError("a test device's own assertion");
            }
        };
        try (DeviceHarness h = DeviceHarness.of(device).start()) {
            h.post(0, new byte[]{1}, 4);
            assertThat(h.run()).extracting(Completion::written).containsExactly(0L);
            assertThat(h.problems()).singleElement().asString().contains("device failed on chain", "device bug");

            h.post(0, new byte[]{1, 2}, 4);
            assertThatThrownBy(h::run).isInstanceOf(AssertionError.class).hasMessageContaining("a test device's own assertion");
        }
    }

    // ------------------------------------------------------------------------------------------------ the device's own events

    @Test
    void aDeviceTimerCompletesOnTheLoopAfterItsDelayAndAClosedOneNeverRuns() throws Exception {
        List<String> ranOn = Collections.synchronizedList(new ArrayList<>());
        EchoDevice device = new EchoDevice() {
            @Override
            public void submit(Request request) {
                long at = System.nanoTime();
                context.schedule(request.queue(), Duration.ofMillis(80), () -> {
                    ranOn.add(Thread.currentThread().getName() + " after " + (System.nanoTime() - at) / 1_000_000 + " ms");
                    complete(request, 0x33);
                });
            }
        };
        try (DeviceHarness h = DeviceHarness.of(device).start()) {
            h.post(0, new byte[]{1}, 1);
            Completion c = h.awaitCompletions(1).get(0);
            assertThat(c.writable()).containsExactly(0x33);
            assertThat(ranOn).singleElement().satisfies(t -> {
                assertThat(t).startsWith("pvkit-harness");
                assertThat(Long.parseLong(t.replaceAll(".* after (\\d+) ms", "$1"))).isGreaterThanOrEqualTo(80);
            });

            DeviceContext.Registration r = device.context.schedule(1, Duration.ofMillis(30), () -> ranOn.add("closed timer ran"));
            r.close();
            Thread.sleep(100); // deliberate: a closed timer must never run, so there is nothing to await
            h.run();
            assertThat(ranOn).hasSize(1);
            assertThatThrownBy(() -> device.context.schedule(2, Duration.ZERO, () -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        }
    }

    @Test
    void aDeviceWatchingItsOwnEventfdCompletesOnTheLoop() throws Exception {
        try (EventFd ready = EventFd.create()) {
            List<String> callbackThreads = new CopyOnWriteArrayList<>();
            HoldingDevice device = new HoldingDevice() {
                @Override
                public void attach(DeviceContext ctx) {
                    super.attach(ctx);
                    ctx.watch(0, ready.fd(), () -> {
                        callbackThreads.add(Thread.currentThread().getName());
                        ready.drain();
                        Request r;
                        while ((r = held.poll()) != null) complete(r, 0x77);
                    });
                }
            };
            try (DeviceHarness h = DeviceHarness.of(device).start()) {
                h.post(0, new byte[]{1}, 1);
                h.post(0, new byte[]{2}, 1);
                assertThat(h.run()).isEmpty();
                elsewhere.submit(ready::signal).get();
                assertThat(h.awaitCompletions(2)).extracting(c -> c.writable()[0]).containsOnly((byte) 0x77);
                assertThat(callbackThreads).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("pvkit-harness"));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ rule violations

    @Test
    void aSkippedChainIsShownWithItsRuleAndReturnedEmptyAndTheQueueGoesOn() {
        EchoDevice device = new EchoDevice();
        try (DeviceHarness h = DeviceHarness.of(device).features(device.features() & ~INDIRECT)
                .policy(ValidationPolicy.skipInvalid()).start()) {
            // The driver model does not check INDIRECT_DESC: an indirect chain without it is a driver's mistake.
            h.post(0, Buffers.of(new byte[]{1, 2}).writable(2).indirect(true));
            h.post(0, new byte[]{3, 4}, 2);
            List<Completion> done = h.run();

            assertThat(done).extracting(Completion::written).containsExactly(0L, 2L);
            assertThat(done.get(0).writable()).as("untouched").containsOnly(DeviceHarness.UNWRITTEN);
            assertThat(h.recorder(0).rejections()).singleElement().satisfies(r -> {
                assertThat(r.rule()).isEqualTo(ChainRule.INDIRECT_NOT_NEGOTIATED);
                assertThat(r.error().requirement()).isEqualTo("DRV-SPLIT-012");
                assertThat(r.reaction()).isEqualTo(Reaction.SKIP);
            });
            assertThat(h.recorder(0).chains()).as("only the good chain reached the device").hasSize(1);
            assertThat(h.broken(0)).isNull();
        }
    }

    @Test
    void aChainOutsideGuestMemoryStopsAStrictQueueAndSaysWhy() {
        try (DeviceHarness h = DeviceHarness.of(new EchoDevice()).ring(Format.PACKED).start()) {
            long outside = 0x4000_0000L;
            h.postSegments(0, List.of(new Segment(outside, 16)), List.of(new Segment(outside + 16, 16)), false);

            assertThatThrownBy(() -> h.awaitCompletions(1, Duration.ofMillis(200))).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("expected 1 completion(s)").hasMessageContaining("BUFFER_OUTSIDE_MEMORY");
            assertThat(h.broken(0).rule()).isEqualTo(ChainRule.BUFFER_OUTSIDE_MEMORY);
            assertThat(h.recorder(0).rejections()).extracting(Rejection::rule, Rejection::reaction)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(ChainRule.BUFFER_OUTSIDE_MEMORY, Reaction.NEEDS_RESET));
            assertThat(h.problems()).singleElement().asString().startsWith("queue 0 stopped").contains("DRV-PACKED-037");
        }
    }

    @Test
    void aPackedRingNeedsADeviceThatOffersIt() {
        EchoDevice splitOnly = new EchoDevice() {
            @Override
            public long features() {
                return VirtioFeatures.bit(VirtioFeatures.VERSION_1);
            }
        };
        assertThatThrownBy(() -> DeviceHarness.of(splitOnly).ring(Format.PACKED).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("RING_PACKED");
        assertThatThrownBy(() -> DeviceHarness.of(splitOnly).queueSize(12).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
    }
}
