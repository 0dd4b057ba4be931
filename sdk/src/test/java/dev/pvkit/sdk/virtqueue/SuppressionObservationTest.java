package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.QueueRecorder;
import dev.pvkit.sdk.testkit.QueueRecorder.SuppressionRead;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The driver's notification-suppression fields reach the observer as the device reads them: the first read, then
 * only changes. Split: {@code avail.flags} and {@code used_event}; packed: the driver area's flags and off_wrap.
 */
class SuppressionObservationTest {
    static final long BASE = 0x10000;
    static final long DATA = 0x40000;
    static final List<Segment> ONE = List.of(new Segment(DATA, 16));

    private static void serveOne(DeviceQueue device) {
        Chain c = device.poll();
        assertThat(c).isNotNull();
        device.complete(c, 0);
        device.publish();
    }

    @Test
    void splitReportsAvailFlagsAndUsedEventOnFirstReadAndOnChangeOnly() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x100000)) {
            GuestMemory m = g.memory();
            SplitRing ring = new SplitRing(4, BASE, BASE + 0x1000, BASE + 0x2000);
            SplitDriverQueue driver = new SplitDriverQueue(m, ring, 0, IndirectArea.NONE, 0);
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue device = new SplitDeviceQueue(m, QueueConfig.of(3, 4, ring.descriptors(), ring.avail(), ring.used(), 0)
                    .withObserver(seen));

            driver.post(ONE, List.of(), false);
            driver.publish();
            serveOne(device);
            assertThat(seen.suppressionReads()).as("first read, then unchanged").containsExactly(new SuppressionRead(3, 0, 0));

            driver.reap();
            driver.setInterruptsWanted(false);                  // avail.flags = NO_INTERRUPT
            driver.post(ONE, List.of(), false);
            driver.publish();
            serveOne(device);
            assertThat(seen.suppressionReads()).containsExactly(new SuppressionRead(3, 0, 0), new SuppressionRead(3, 1, 0));

            m.writeLe16(ring.usedEvent(), (short) 7);
            driver.reap();
            driver.post(ONE, List.of(), false);
            driver.publish();
            serveOne(device);
            assertThat(seen.suppressionReads()).containsExactly(new SuppressionRead(3, 0, 0), new SuppressionRead(3, 1, 0), new SuppressionRead(3, 1, 7));
        }
    }

    @Test
    void packedReportsTheDriverAreaOnFirstReadAndOnChangeOnly() {
        long features = VirtioFeatures.bit(VirtioFeatures.RING_PACKED) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x100000)) {
            GuestMemory m = g.memory();
            PackedRing ring = new PackedRing(4, BASE, BASE + 0x1000, BASE + 0x1004);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, features, IndirectArea.NONE, 0, true);
            QueueRecorder seen = new QueueRecorder();
            PackedDeviceQueue device = new PackedDeviceQueue(m, QueueConfig.of(1, 4, ring.descriptors(), ring.driverEvent(),
                    ring.deviceEvent(), features).withObserver(seen));

            driver.post(ONE, List.of(), false);
            driver.publish();
            serveOne(device);
            // DESC mode (2) at slot 0 of lap 1: off_wrap 0x8000.
            assertThat(seen.suppressionReads()).containsExactly(new SuppressionRead(1, PackedRing.EVENT_DESC, 0x8000));

            driver.reap();                                      // the driver moves its event point to slot 1
            driver.post(ONE, List.of(), false);
            driver.publish();
            serveOne(device);
            assertThat(seen.suppressionReads()).containsExactly(new SuppressionRead(1, PackedRing.EVENT_DESC, 0x8000), new SuppressionRead(1, PackedRing.EVENT_DESC, 0x8001));
        }
    }
}
