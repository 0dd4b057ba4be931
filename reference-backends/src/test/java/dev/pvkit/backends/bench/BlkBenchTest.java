package dev.pvkit.backends.bench;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark loop against a back-end that completes requests out of order (as qemu-storage-daemon may): no
 * request is posted on buffers that a request still in flight owns, and none of a request's bytes change between
 * its post and its completion.
 */
class BlkBenchTest {

    @ParameterizedTest(name = "{0} QD{1}")
    @CsvSource({"RANDREAD, 8", "RANDWRITE, 8", "RANDREAD, 32", "RANDWRITE, 1"})
    void buffersOfRequestsInFlightAreNeverReused(BlkBench.Workload workload, int depth) {
        try (OwnedGuestMemory guest = OwnedGuestMemory.anonymous(BlkBench.GUEST_BASE, 8 << 20)) {
            OutOfOrderRing ring = new OutOfOrderRing(guest.memory(), 7);
            BlkBench.Result r = BlkBench.drive("fake", ring, guest.memory(), workload, depth, 1 << 16, Duration.ofMillis(150));
            assertThat(ring.violations).as("buffer ownership").isEmpty();
            assertThat(ring.inFlight).as("everything posted completed").isEmpty();
            assertThat(r.requests()).isEqualTo(ring.completed).isGreaterThan(depth * 4L);
            assertThat(ring.maxInFlight).as("queue depth kept").isEqualTo(depth);
            if (depth > 1) assertThat(ring.outOfOrder).as("the fake really completed out of order").isPositive();
            assertThat(r.p50Micros()).as("percentiles from the histogram").isPositive().isLessThanOrEqualTo(r.p99Micros());
            assertThat(r.allocatedBytesPerRequest()).as("not counted for a back-end it did not run").isNaN();
        }
    }

    /** Completes one random request in flight per call; checks overlaps at post and unchanged bytes at completion. */
    static final class OutOfOrderRing implements BlkBench.Ring {
        record Posted(long sequence, List<Segment> readable, List<Segment> writable, byte[][] snapshot) {
        }

        private final GuestMemory m;
        private final SplittableRandom random;
        private final Deque<Integer> freeIds = new ArrayDeque<>();
        final Map<Integer, Posted> inFlight = new LinkedHashMap<>();
        final List<String> violations = new ArrayList<>();
        long completed;
        long outOfOrder;
        int maxInFlight;
        private long sequence;

        OutOfOrderRing(GuestMemory m, long seed) {
            this.m = m;
            this.random = new SplittableRandom(seed);
            for (int i = 0; i < BlkBench.MAX_IDS; i++) freeIds.add(i);
        }

        @Override
        public int post(List<Segment> readable, List<Segment> writable) {
            List<Segment> mine = new ArrayList<>(readable);
            mine.addAll(writable);
            for (Map.Entry<Integer, Posted> e : inFlight.entrySet()) {
                List<Segment> theirs = new ArrayList<>(e.getValue().readable());
                theirs.addAll(e.getValue().writable());
                for (Segment a : mine) {
                    for (Segment b : theirs) {
                        if (a.address() < b.address() + b.length() && b.address() < a.address() + a.length()) {
                            violation("posted " + a + " over " + b + " of id " + e.getKey() + ", still in flight");
                        }
                    }
                }
            }
            byte[][] snapshot = new byte[readable.size()][];
            for (int i = 0; i < readable.size(); i++) {
                snapshot[i] = new byte[readable.get(i).length()];
                m.read(readable.get(i).address(), snapshot[i], 0, snapshot[i].length);
            }
            Integer id = freeIds.poll();
            if (id == null) throw new IllegalStateException("ring full");
            inFlight.put(id, new Posted(sequence++, List.copyOf(readable), List.copyOf(writable), snapshot));
            maxInFlight = Math.max(maxInFlight, inFlight.size());
            return id;
        }

        @Override
        public void publishAndKick() {
        }

        private void violation(String what) {
            if (violations.size() < 20) violations.add(what);
        }

        @Override
        public int awaitUsed(int count, Duration timeout, DriverQueue.UsedSink sink) {
            if (inFlight.size() < count) throw new IllegalStateException("waiting for " + count + " of " + inFlight.size());
            List<Integer> ids = new ArrayList<>(inFlight.keySet());
            int id = ids.get(random.nextInt(ids.size()));
            Posted p = inFlight.remove(id);
            if (inFlight.values().stream().anyMatch(o -> o.sequence() < p.sequence())) outOfOrder++;
            for (int i = 0; i < p.readable().size(); i++) {
                byte[] now = new byte[p.snapshot()[i].length];
                m.read(p.readable().get(i).address(), now, 0, now.length);
                if (!Arrays.equals(now, p.snapshot()[i])) violation("id " + id + ": readable bytes changed while in flight");
            }
            Segment status = p.writable().get(p.writable().size() - 1);
            m.writeU8(status.address() + status.length() - 1, (byte) 0);
            freeIds.add(id);
            completed++;
            sink.used(id, 1);
            return 1;
        }
    }
}
