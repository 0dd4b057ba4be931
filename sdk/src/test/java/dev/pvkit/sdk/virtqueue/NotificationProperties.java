package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.DriverRingRules;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.RawRingWriter;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notification decisions equal the spec's rule for every 16-bit index combination around wrap-around. The oracle
 * is the rule as the spec states it — "notify when one of the entries just published sits at the event index" —
 * computed by enumeration, not by the formula under test.
 */
class NotificationProperties {

    /** Notify iff {@code event} is one of old, old+1, …, new-1 (mod 2^16). */
    static boolean oracle(int event, int newIdx, int oldIdx) {
        int n = (newIdx - oldIdx) & 0xffff;
        for (int k = 0; k < n; k++) {
            if (((oldIdx + k) & 0xffff) == event) return true;
        }
        return false;
    }

    /** The device's and the driver model's formulas (written apart) against the oracle. */
    static void checkSplit(int event, int neu, int old) {
        boolean expected = oracle(event, neu, old);
        assertThat(SplitRing.needEvent(event, neu, old)).as("device: event %d new %d old %d", event, neu, old).isEqualTo(expected);
        assertThat(DriverRingRules.splitNotify(event, neu, old)).as("driver: event %d new %d old %d", event, neu, old).isEqualTo(expected);
    }

    @Example
    void formulaEqualsTheRuleForAllCombinationsAroundWrap() {
        // Every old index within 40 of the wrap point, every batch of up to 40 entries, every event index
        // within 80 of the wrap point: 80 * 41 * 160 = 524,800 combinations.
        int checked = 0;
        for (int o = -40; o < 40; o++) {
            int old = o & 0xffff;
            for (int n = 0; n <= 40; n++) {
                int neu = (old + n) & 0xffff;
                for (int e = -80; e < 80; e++) {
                    checkSplit(e & 0xffff, neu, old);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(80 * 41 * 160);
    }

    @Property(tries = 2000)
    void formulaEqualsTheRuleAnywhere(@ForAll @IntRange(max = 0xffff) int old,
                                      @ForAll @IntRange(max = 300) int batch,
                                      @ForAll @IntRange(min = -320, max = 320) int eventOffset) {
        checkSplit((old + eventOffset) & 0xffff, (old + batch) & 0xffff, old);
    }

    /**
     * Packed DESC mode: was the event slot (offset and wrap bit) one of the {@code written} slots just filled,
     * found by walking them back from the writer's position. After a whole lap or more every slot was filled and
     * the one-bit wrap cannot say in which lap, so the rule is to notify: a missed notification can hang a driver,
     * an extra one costs an interrupt.
     */
    static boolean packedOracle(int q, int pos, boolean wrap, int written, int off, boolean evWrap) {
        if (written >= q) return true;
        int p = pos;
        boolean w = wrap;
        for (int k = 0; k < written; k++) {   // step back over the written slots
            if (p == 0) {
                p = q;
                w = !w;
            }
            p--;
            if (p == off && w == evWrap) return true;
        }
        return false;
    }

    static void checkPacked(int q, int pos, boolean wrap, int written, int off, boolean evWrap) {
        boolean expected = packedOracle(q, pos, wrap, written, off, evWrap);
        int event = PackedRing.offWrap(off, evWrap);
        assertThat(PackedRing.needEvent(event, q, pos, wrap, written))
                .as("device: q %d pos %d wrap %s written %d event %d/%s", q, pos, wrap, written, off, evWrap)
                .isEqualTo(expected);
        assertThat(DriverRingRules.packedNotify(event, q, pos, wrap, written))
                .as("driver: q %d pos %d wrap %s written %d event %d/%s", q, pos, wrap, written, off, evWrap)
                .isEqualTo(expected);
    }

    /**
     * Packed DESC mode for every ring size up to 24, every writer position and lap, every batch up to two laps
     * and every event point (offset and wrap bit): about 720,000 combinations, device and driver formulas both.
     */
    @Example
    void packedDescModeEqualsTheRuleForEveryPositionAndLap() {
        int checked = 0;
        for (int q = 1; q <= 24; q++) {
            for (int pos = 0; pos < q; pos++) {
                for (boolean wrap : new boolean[]{false, true}) {
                    for (int written = 0; written <= 2 * q; written++) {
                        for (int off = 0; off < q; off++) {
                            checkPacked(q, pos, wrap, written, off, false);
                            checkPacked(q, pos, wrap, written, off, true);
                            checked += 2;
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(700_000);
    }

    /** The same for ring sizes up to the maximum, sampled. */
    @Property(tries = 2000)
    void packedDescModeEqualsTheRuleForAnySize(@ForAll @IntRange(min = 1, max = QueueConfig.MAX_SIZE) int q,
                                                @ForAll @IntRange(max = QueueConfig.MAX_SIZE - 1) int pos,
                                                @ForAll boolean wrap,
                                                @ForAll @IntRange(max = 2 * QueueConfig.MAX_SIZE) int written,
                                                @ForAll @IntRange(max = QueueConfig.MAX_SIZE - 1) int off,
                                                @ForAll boolean evWrap) {
        // Bias towards the edges: positions and event points near the lap end, batches near a lap.
        checkPacked(q, pos % q, wrap, written % (2 * q + 1), off % q, evWrap);
        checkPacked(q, q - 1 - pos % Math.min(q, 3), wrap, q - 1 + written % 3, (pos + off) % q, evWrap);
    }

    /**
     * The split device queue's publish() decides as the rule says, with EVENT_IDX (used_event) and without
     * (VIRTQ_AVAIL_F_NO_INTERRUPT), for a used index starting anywhere — including just below the wrap.
     */
    @Property(tries = 1000)
    void splitDeviceQueueDecidesByTheRule(@ForAll @IntRange(max = 0xffff) int start,
                                          @ForAll @IntRange(min = 1, max = 8) int completions,
                                          @ForAll @IntRange(min = -10, max = 10) int eventOffset,
                                          @ForAll boolean eventIdx,
                                          @ForAll boolean noInterrupt) {
        int q = 8;
        SplitRing ring = new SplitRing(q, 0x1000, 0x2000, 0x3000);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            RawRingWriter w = new RawRingWriter(g.memory());
            g.memory().writeLe16(ring.usedIdx(), (short) start);
            for (int i = 0; i < completions; i++) {
                w.splitDescriptor(ring, i, 0x8000 + 16L * i, 16, SplitRing.F_WRITE, 0);
                w.availEntry(ring, (start + i) & (q - 1), i);
            }
            int event = (start + eventOffset) & 0xffff;
            w.usedEvent(ring, event).availFlags(ring, noInterrupt ? SplitRing.AVAIL_F_NO_INTERRUPT : 0);
            w.availIdx(ring, start + completions);
            long features = eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0;
            SplitDeviceQueue dq = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, q, 0x1000, 0x2000, 0x3000, features).withBase(start));
            for (int i = 0; i < completions; i++) {
                Chain c = dq.poll();
                dq.complete(c, 0);
            }
            boolean expected = eventIdx ? oracle(event, (start + completions) & 0xffff, start) : !noInterrupt;
            assertThat(dq.publish()).isEqualTo(expected);
            assertThat(dq.publish()).as("nothing new to publish").isFalse();
        }
    }

    /** The split driver model's publish() decides by the rule, with EVENT_IDX (avail_event) and without (used.flags). */
    @Property(tries = 1000)
    void splitDriverQueueDecidesByTheRule(@ForAll @IntRange(max = 0xffff) int start,
                                          @ForAll @IntRange(min = 1, max = 8) int posts,
                                          @ForAll @IntRange(min = -10, max = 10) int eventOffset,
                                          @ForAll boolean eventIdx,
                                          @ForAll boolean noNotify) {
        int q = 8;
        SplitRing ring = new SplitRing(q, 0x1000, 0x2000, 0x3000);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            long features = eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0;
            SplitDriverQueue driver = new SplitDriverQueue(g.memory(), ring, features, IndirectArea.NONE, start);
            for (int i = 0; i < posts; i++) driver.post(List.of(new Segment(0x8000 + 16L * i, 16)), List.of(), false);
            int event = (start + eventOffset) & 0xffff;
            g.memory().writeLe16(ring.availEvent(), (short) event);
            g.memory().writeLe16(ring.usedFlags(), (short) (noNotify ? SplitRing.USED_F_NO_NOTIFY : 0));
            boolean expected = eventIdx ? oracle(event, (start + posts) & 0xffff, start) : !noNotify;
            assertThat(driver.publish()).isEqualTo(expected);
            assertThat(driver.publish()).as("nothing new to publish").isFalse();
        }
    }

    /** The packed driver model's publish() decides by the device area: ENABLE, DISABLE, DESC (EVENT_IDX) or reserved. */
    @Property(tries = 2000)
    void packedDriverQueueDecidesByTheDeviceArea(@ForAll @IntRange(min = 1, max = 16) int q,
                                                 @ForAll @IntRange(max = 15) int start,
                                                 @ForAll boolean startWrap,
                                                 @ForAll @IntRange(min = 1, max = 16) int posts,
                                                 @ForAll @IntRange(max = 3) int mode,
                                                 @ForAll @IntRange(max = 15) int off,
                                                 @ForAll boolean evWrap,
                                                 @ForAll boolean eventIdx) {
        int pos = start % q;
        int n = 1 + (posts - 1) % q;
        PackedRing ring = new PackedRing(q, 0x1000, 0x2000, 0x2004);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            long features = VirtioFeatures.bit(VirtioFeatures.RING_PACKED) | (eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0);
            PackedDriverQueue driver = new PackedDriverQueue(g.memory(), ring, features, IndirectArea.NONE, pos, startWrap);
            for (int i = 0; i < n; i++) driver.post(List.of(new Segment(0x8000 + 16L * i, 16)), List.of(), false);
            int eventOff = off % q;
            g.memory().writeLe32(ring.deviceEvent(), PackedRing.event(mode, PackedRing.offWrap(eventOff, evWrap)));
            int newPos = (pos + n) % q;
            boolean newWrap = (pos + n) / q % 2 == 0 ? startWrap : !startWrap;
            boolean expected = switch (mode) {
                case PackedRing.EVENT_DISABLE -> false;
                // DESC is only meaningful with EVENT_IDX; without it the driver notifies rather than guess.
                case PackedRing.EVENT_DESC -> !eventIdx || packedOracle(q, newPos, newWrap, n, eventOff, evWrap);
                default -> true; // ENABLE, and the reserved value 3 treated as ENABLE
            };
            assertThat(driver.publish()).isEqualTo(expected);
            assertThat(driver.publish()).as("nothing new to publish").isFalse();
        }
    }

    /** Without EVENT_IDX the device suppresses kicks with VIRTQ_USED_F_NO_NOTIFY, and re-enabling rechecks the ring. */
    @Example
    void splitDeviceSuppressesKicksWithTheUsedFlag() {
        SplitRing ring = new SplitRing(4, 0x1000, 0x2000, 0x3000);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            GuestMemory m = g.memory();
            SplitDriverQueue driver = new SplitDriverQueue(m, ring, 0, IndirectArea.NONE, 0xfffe);
            SplitDeviceQueue device = new SplitDeviceQueue(m, QueueConfig.of(0, 4, 0x1000, 0x2000, 0x3000, 0).withBase(0xfffe));

            device.disableNotifications();
            assertThat(m.readLe16(ring.usedFlags())).isEqualTo((short) SplitRing.USED_F_NO_NOTIFY);
            driver.post(List.of(new Segment(0x8000, 16)), List.of(), false);
            assertThat(driver.publish()).as("suppressed").isFalse();

            assertThat(device.enableNotifications()).as("the buffer posted meanwhile is seen").isTrue();
            assertThat(m.readLe16(ring.usedFlags())).isZero();
            assertThat(device.poll()).isNotNull();
            assertThat(device.enableNotifications()).as("nothing more").isFalse();
            driver.post(List.of(new Segment(0x8000, 16)), List.of(), false);
            assertThat(driver.publish()).isTrue();
        }
    }

    /**
     * Under EVENT_IDX the device writes avail_event as it takes entries (across the 16-bit wrap), leaves it alone
     * while notifications are disabled, and moves it to its position when they are enabled again.
     */
    @Example
    void splitDeviceMovesAvailEventAsItTakesEntries() {
        long features = VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        SplitRing ring = new SplitRing(8, 0x1000, 0x2000, 0x3000);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            GuestMemory m = g.memory();
            SplitDriverQueue driver = new SplitDriverQueue(m, ring, features, IndirectArea.NONE, 0xfffe);
            SplitDeviceQueue device = new SplitDeviceQueue(m, QueueConfig.of(0, 8, 0x1000, 0x2000, 0x3000, features).withBase(0xfffe));
            assertThat(device.enableNotifications()).isFalse();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).isEqualTo(0xfffe);

            for (int i = 0; i < 3; i++) driver.post(List.of(new Segment(0x8000, 16)), List.of(), false);
            assertThat(driver.publish()).isTrue();
            device.poll();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).isEqualTo(0xffff);
            device.poll();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).isEqualTo(0x0000);

            device.disableNotifications();
            device.poll();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).as("left alone while disabled").isEqualTo(0x0000);
            assertThat(m.readLe16(ring.usedFlags())).as("the flag is not used under EVENT_IDX").isZero();
            driver.post(List.of(new Segment(0x8000, 16)), List.of(), false);
            assertThat(driver.publish()).as("the event index lies behind the new entry").isFalse();

            assertThat(device.enableNotifications()).isTrue();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).isEqualTo(0x0001);
            device.poll();
            assertThat(m.readLe16(ring.availEvent()) & 0xffff).isEqualTo(0x0002);
            driver.post(List.of(new Segment(0x8000, 16)), List.of(), false);
            assertThat(driver.publish()).isTrue();
        }
    }
}
