package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.QueueRecorder.AvailMove;
import dev.pvkit.sdk.testkit.QueueRecorder;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Index moves reach the observer with the values the ring holds: split {@code avail.idx} as read and
 * {@code used.idx} as published; packed positions in off_wrap form (slot in bits 0–14, wrap in bit 15).
 */
class IndexObservationTest {

    static final long BASE = 0x10000;
    static final long DATA = 0x40000;
    static final List<Segment> ONE = List.of(new Segment(DATA, 16));
    static final List<Segment> NONE = List.of();

    @Test
    void splitReportsAvailIndexReadsAndUsedIndexPublicationsAcrossTheWrap() {
        int start = 0xfffe;
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x100000)) {
            GuestMemory m = g.memory();
            SplitRing ring = new SplitRing(4, BASE, BASE + 0x1000, BASE + 0x2000);
            SplitDriverQueue driver = new SplitDriverQueue(m, ring, 0, IndirectArea.NONE, start);
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue device = new SplitDeviceQueue(m, QueueConfig.of(0, 4, ring.descriptors(), ring.avail(), ring.used(), 0)
                    .withBase(start).withObserver(seen));

            assertThat(device.poll()).isNull();
            assertThat(seen.availMoves()).as("no move, no event").isEmpty();

            driver.post(ONE, NONE, false);
            driver.post(ONE, NONE, false);
            driver.post(ONE, NONE, false);
            driver.publish();                                  // 0xfffe -> 0x0001
            Chain a = device.poll();
            Chain b = device.poll();
            Chain c = device.poll();
            assertThat(device.poll()).isNull();
            assertThat(seen.availMoves()).containsExactly(new AvailMove(0, 0xfffe, 0x0001));

            device.complete(a, 0);
            device.complete(b, 0);
            device.publish();
            device.complete(c, 0);
            device.publish();
            assertThat(device.publish()).isFalse();
            assertThat(seen.published()).containsExactly(0x0000, 0x0001);
            assertThat(m.readLe16(ring.usedIdx()) & 0xffff).isEqualTo(0x0001);

            driver.reap();
            driver.post(ONE, NONE, false);
            driver.publish();
            device.poll();
            assertThat(seen.availMoves()).containsExactly(new AvailMove(0, 0xfffe, 0x0001), new AvailMove(0, 0x0001, 0x0002));
        }
    }

    @Test
    void packedReportsEachListTakenAndTheUsedPositionPublishedAcrossTheWrap() {
        long features = VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x100000)) {
            GuestMemory m = g.memory();
            PackedRing ring = new PackedRing(4, BASE, BASE + 0x1000, BASE + 0x1004);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, features, IndirectArea.NONE, 2, true);
            QueueRecorder seen = new QueueRecorder();
            PackedDeviceQueue device = new PackedDeviceQueue(m, QueueConfig.of(0, 4, ring.descriptors(), ring.driverEvent(),
                    ring.deviceEvent(), features).withBase(driver.base()).withObserver(seen));

            assertThat(device.poll()).isNull();
            assertThat(seen.availMoves()).as("no list, no event").isEmpty();

            driver.post(ONE, List.of(new Segment(DATA + 0x100, 16)), false);   // slots 2, 3 of lap 1
            driver.post(ONE, NONE, false);                                     // slot 0 of lap 0
            driver.publish();
            Chain a = device.poll();
            Chain b = device.poll();
            assertThat(device.poll()).isNull();
            assertThat(seen.availMoves()).containsExactly(
                    new AvailMove(0, 0x8002, 0x0000),    // over slots 2 and 3; the next slot is 0 in lap 0
                    new AvailMove(0, 0x0000, 0x0001));

            device.complete(a, 0);
            device.publish();
            device.complete(b, 0);
            device.publish();
            assertThat(seen.published()).containsExactly(0x0000, 0x0001);
        }
    }
}
