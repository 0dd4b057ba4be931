package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property 1 of issue #3: for any sequence of posted chains (random shapes and lengths, indirect or not) and
 * device completions in any order the features allow, across index wrap-around, the driver reaps exactly the
 * completed ids with their lengths — none lost, none duplicated — and the device sees exactly the posted buffers.
 */
class RoundTripProperties {

    /** One chain as the driver posts it: lengths of its readable and writable buffers. */
    record Shape(List<Integer> readable, List<Integer> writable, boolean indirect) {
        int buffers() {
            return readable.size() + writable.size();
        }
    }

    @Provide
    Arbitrary<List<Shape>> shapes() {
        Arbitrary<List<Integer>> lengths = Arbitraries.integers().between(1, 4096).list().ofMaxSize(3);
        return Combinators.combine(lengths, lengths, Arbitraries.of(true, false))
                .as(Shape::new)
                .filter(s -> s.buffers() > 0)
                .list().ofMinSize(1).ofMaxSize(60);
    }

    @Provide
    Arbitrary<Integer> splitSizes() {
        return Arbitraries.of(1, 2, 4, 8, 16, 256);
    }

    @Provide
    Arbitrary<Boolean> rarely() {
        return Arbitraries.frequency(Tuple.of(15, false), Tuple.of(1, true));
    }

    /**
     * Most tries start {@code beforeWrap} (at most the number of chains) entries below 2^16, so the indices cross
     * the 16-bit wrap during the try; about one in sixteen starts anywhere.
     */
    @Property(tries = 1000)
    void splitRingDeliversEveryCompletionExactlyOnce(@ForAll("shapes") List<Shape> shapes,
                                                     @ForAll("splitSizes") int size,
                                                     @ForAll boolean eventIdx, @ForAll boolean indirect, @ForAll boolean inOrder,
                                                     @ForAll @IntRange(min = 1, max = 60) int beforeWrap,
                                                     @ForAll("rarely") boolean anywhere,
                                                     @ForAll @IntRange(max = 0xffff) int somewhere,
                                                     @ForAll long seed) {
        int start = anywhere ? somewhere : 0x10000 - Math.min(beforeWrap, shapes.size());
        boolean crosses = start + shapes.size() > 0xffff;
        Statistics.label("split indices").collect(crosses ? "cross the 16-bit wrap" : "stay below it");
        Statistics.label("split indices").coverage(c -> c.check("cross the 16-bit wrap").percentage(p -> p >= 80));
        run(QueueRig.Format.SPLIT, shapes, size, features(eventIdx, indirect, inOrder), start, seed);
    }

    @Provide
    Arbitrary<Integer> packedSizes() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 20), Arbitraries.just(256));
    }

    @Property(tries = 1000)
    void packedRingDeliversEveryCompletionExactlyOnce(@ForAll("shapes") List<Shape> shapes,
                                                      @ForAll("packedSizes") int size,
                                                      @ForAll boolean eventIdx, @ForAll boolean indirect, @ForAll boolean inOrder,
                                                      @ForAll @IntRange(max = 1000) int start,
                                                      @ForAll long seed) {
        run(QueueRig.Format.PACKED, shapes, size, features(eventIdx, indirect, inOrder), start, seed);
    }

    static long features(boolean eventIdx, boolean indirect, boolean inOrder) {
        return (eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0)
                | (indirect ? VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) : 0)
                | (inOrder ? VirtioFeatures.bit(VirtioFeatures.IN_ORDER) : 0);
    }

    static void run(QueueRig.Format format, List<Shape> shapes, int size, long features, int start, long seed) {
        Random random = new Random(seed);
        boolean indirectOk = VirtioFeatures.has(features, VirtioFeatures.INDIRECT_DESC);
        boolean inOrder = VirtioFeatures.has(features, VirtioFeatures.IN_ORDER);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(QueueRig.BASE, QueueRig.SIZE)) {
            GuestMemory memory = g.memory().withGuard((a, l, w) -> {
                throw new AssertionError(String.format("out-of-range access 0x%x+%d", a, l));
            });
            QueueRig rig = QueueRig.create(format, memory, size, features, start, ValidationPolicy.strict());
            DriverQueue driver = rig.driver();
            DeviceQueue device = rig.device();
            // As a device does before it waits for a kick; it then drains the ring every round and never
            // disables, so every publication of new buffers must ask for a notification.
            assertThat(device.enableNotifications()).as("nothing available yet").isFalse();

            Deque<Shape> toPost = new ArrayDeque<>(shapes);
            Map<Integer, Posted> posted = new HashMap<>();
            List<Integer> postOrder = new ArrayList<>();
            List<Chain> held = new ArrayList<>();
            Map<Integer, Long> completed = new HashMap<>();
            List<Integer> completionOrder = new ArrayList<>();
            int reaped = 0;
            long nextData = QueueRig.DATA;

            for (int round = 0; round < 10_000 && (!toPost.isEmpty() || driver.outstanding() > 0); round++) {
                // Driver: post a few chains, as room allows, then publish.
                int wanted = random.nextInt(size + 2);
                int postedNow = 0;
                while (wanted-- > 0 && !toPost.isEmpty()) {
                    Shape s = fit(toPost.peek(), size, indirectOk);
                    if (!driver.canPost(s.readable().size(), s.writable().size(), s.indirect())) break;
                    toPost.pop();
                    List<Segment> r = new ArrayList<>();
                    List<Segment> w = new ArrayList<>();
                    for (int len : s.readable()) {
                        r.add(new Segment(nextData, len));
                        nextData = wrapData(nextData + len);
                    }
                    for (int len : s.writable()) {
                        w.add(new Segment(nextData, len));
                        nextData = wrapData(nextData + len);
                    }
                    int id = driver.post(r, w, s.indirect());
                    assertThat(posted).as("id %d is already outstanding", id).doesNotContainKey(id);
                    posted.put(id, new Posted(r, w));
                    postOrder.add(id);
                    postedNow++;
                }
                assertThat(driver.publish()).as("publish of %d new chains asks for a notification", postedNow).isEqualTo(postedNow > 0);

                // Device: take everything available; it must be exactly what was posted.
                Chain c;
                while ((c = device.poll()) != null) {
                    Posted expected = posted.get(c.id());
                    assertThat(expected).as("device saw chain id %d that the driver did not post", c.id()).isNotNull();
                    assertThat(c.readable()).isEqualTo(expected.readable());
                    assertThat(c.writable()).isEqualTo(expected.writable());
                    assertThat(c.tolerated()).isEmpty();
                    held.add(c);
                }
                assertThat(device.isBroken()).as("queue broken by %s", device.brokenBy()).isFalse();
                checkDeviceEvent(format, memory, size, features, driver);

                // Device: complete a random subset in random order (force progress when nothing else moves).
                Collections.shuffle(held, random);
                int n = toPost.isEmpty() || random.nextInt(4) == 0 ? held.size() : random.nextInt(held.size() + 1);
                for (int i = 0; i < n; i++) {
                    Chain done = held.remove(held.size() - 1);
                    long written = done.writableBytes() == 0 ? 0 : (long) (random.nextDouble() * (done.writableBytes() + 1));
                    device.complete(done, written);
                    assertThat(completed).doesNotContainKey(done.id());
                    completed.put(done.id(), written);
                    completionOrder.add(done.id());
                }
                boolean notified = device.publish();

                // Driver: reap; every entry must be a completion, with its length, exactly once. The driver reaps
                // everything and wants interrupts, so the device notifies exactly when something came back.
                List<DriverQueue.Used> reapedNow = driver.reap();
                assertThat(notified).as("used-buffer notification for %d entries", reapedNow.size()).isEqualTo(!reapedNow.isEmpty());
                for (DriverQueue.Used u : reapedNow) {
                    assertThat(completed).as("driver reaped id %d that the device did not complete", u.id()).containsKey(u.id());
                    assertThat(u.length()).isEqualTo(completed.remove(u.id()));
                    posted.remove(u.id());
                    if (inOrder) {
                        assertThat(u.id()).as("IN_ORDER: used order is post order").isEqualTo(postOrder.get(reaped));
                    }
                    reaped++;
                }
            }
            assertThat(toPost).as("shapes never posted").isEmpty();
            assertThat(driver.outstanding()).isZero();
            assertThat(device.inFlight()).isZero();
            assertThat(completed).as("completed but never reaped").isEmpty();
            assertThat(reaped).isEqualTo(shapes.size());
        }
    }

    /**
     * After draining the ring with notifications enabled, the device's event field names the next entry it will
     * take, which is where the driver stands: split {@code avail_event} (EVENT_IDX) or {@code used.flags} 0; packed
     * a DESC event at the driver's available position (EVENT_IDX) or ENABLE.
     */
    static void checkDeviceEvent(QueueRig.Format format, GuestMemory memory, int size, long features, DriverQueue driver) {
        boolean eventIdx = VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX);
        if (format == QueueRig.Format.SPLIT) {
            SplitRing ring = QueueRig.splitRing(size);
            int availIdx = ((SplitDriverQueue) driver).publishedAvailIndex();
            if (eventIdx) assertThat(memory.readLe16(ring.availEvent()) & 0xffff).as("avail_event").isEqualTo(availIdx);
            else assertThat(memory.readLe16(ring.usedFlags())).as("used.flags").isZero();
        } else {
            PackedRing ring = QueueRig.packedRing(size);
            int position = (int) (((PackedDriverQueue) driver).base() & 0xffff);
            int expected = eventIdx ? PackedRing.event(PackedRing.EVENT_DESC, position) : PackedRing.event(PackedRing.EVENT_ENABLE, 0);
            assertThat(memory.readLe32(ring.deviceEvent())).as("device event suppression").isEqualTo(expected);
        }
    }

    /** What the driver posted under one id. */
    record Posted(List<Segment> readable, List<Segment> writable) {
    }

    /** Makes a shape postable on this ring: without indirect support, at most {@code size} buffers, none indirect. */
    static Shape fit(Shape s, int size, boolean indirectOk) {
        if (s.indirect() && indirectOk && s.buffers() <= Math.min(size, QueueRig.INDIRECT_ENTRIES)) return s;
        List<Integer> r = new ArrayList<>(s.readable());
        List<Integer> w = new ArrayList<>(s.writable());
        while (r.size() + w.size() > size) {
            if (!w.isEmpty()) w.remove(w.size() - 1);
            else r.remove(r.size() - 1);
        }
        if (r.isEmpty() && w.isEmpty()) w.add(1);
        return new Shape(r, w, false);
    }

    private static long wrapData(long next) {
        return next + 4096 > QueueRig.DATA + QueueRig.DATA_SIZE ? QueueRig.DATA : next;
    }
}
