package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.QueueRecorder.Rejection;
import dev.pvkit.sdk.testkit.QueueRecorder;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue.Used;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackedQueueTest {

    // Guest memory 0x10000..0x110000; the ring takes at most 4096 slots (64 KiB).
    private static final long MEM_BASE = 0x10000;
    private static final long MEM_SIZE = 1 << 20;
    private static final long MEM_END = MEM_BASE + MEM_SIZE;
    private static final long RING = 0x10000;
    private static final long DRIVER_EVENT = 0x30000;
    private static final long DEVICE_EVENT = 0x30004;
    private static final long INDIRECT = 0x31000;
    private static final long TABLE = 0x40000;
    private static final long DATA = 0x60000;

    private static final long PACKED = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
    private static final long F_INDIRECT = VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
    private static final long F_EVENT_IDX = VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
    private static final long F_IN_ORDER = VirtioFeatures.bit(VirtioFeatures.IN_ORDER);

    /** Available in the first lap (wrap 1). */
    private static final int AV = PackedRing.F_AVAIL;
    private static final int NEXT = PackedRing.F_NEXT;
    private static final int WRITE = PackedRing.F_WRITE;
    private static final int IND = PackedRing.F_INDIRECT;

    // ------------------------------------------------------------------ round trips

    @ParameterizedTest(name = "q={0} eventIdx={1} inOrder={2} start={3}/{4}")
    @CsvSource({
            "4, false, false, 0, true",
            "5, true,  false, 0, true",
            "5, false, true,  3, false",
            "4, true,  true,  1, false",
            "5, true,  false, 4, true",
    })
    void roundTripOverSeveralLaps(int q, boolean eventIdx, boolean inOrder, int startPos, boolean startWrap) {
        long features = PACKED | F_INDIRECT | (eventIdx ? F_EVENT_IDX : 0) | (inOrder ? F_IN_ORDER : 0);
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            PackedRing ring = new PackedRing(q, RING, DRIVER_EVENT, DEVICE_EVENT);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, features, new IndirectArea(INDIRECT, 4), startPos, startWrap);
            QueueRecorder rec = new QueueRecorder();
            QueueConfig config = QueueConfig.of(0, q, RING, DRIVER_EVENT, DEVICE_EVENT, features).withObserver(rec);
            PackedDeviceQueue device = new PackedDeviceQueue(m, config.withBase(driver.base()));
            assertThat(device.enableNotifications()).isFalse(); // under EVENT_IDX: a DESC event the polls move on
            Random rnd = new Random(q * 31L + startPos);
            Map<Integer, Posted> posted = new HashMap<>();
            List<Chain> inFlight = new ArrayList<>();
            List<Integer> postOrder = new ArrayList<>();
            Map<Integer, Long> writtenById = new HashMap<>();
            int[][] shapes = {{1, 0, 0}, {1, 2, 0}, {1, 2, 1}, {0, 1, 0}, {2, 1, 1}};
            long slotsUsed = 0;
            int shapeCount = 0;

            for (int round = 0; round < 40; round++) {
                int postedNow = 0;
                for (int k = 0; k < 3; k++) {
                    int[] s = shapes[shapeCount % shapes.length];
                    if (!driver.canPost(s[0], s[1], s[2] == 1)) break;
                    shapeCount++;
                    Posted p = Posted.make(rnd, s[0], s[1], s[2] == 1);
                    int id = driver.post(p.readable, p.writable, p.indirect);
                    assertThat(posted).doesNotContainKey(id);
                    assertThat(id).isBetween(0, q - 1);
                    posted.put(id, p);
                    postOrder.add(id);
                    postedNow++;
                }
                boolean kick = driver.publish();
                // The device keeps notifications enabled and has taken everything so far: each batch kicks.
                assertThat(kick).isEqualTo(postedNow > 0);

                Chain c;
                while ((c = device.poll()) != null) {
                    Posted p = posted.get(c.id());
                    assertThat(p).as("chain id %d", c.id()).isNotNull();
                    assertThat(c.readable()).isEqualTo(p.readable);
                    assertThat(c.writable()).isEqualTo(p.writable);
                    assertThat(c.ringSlots()).isEqualTo(p.indirect ? 1 : p.readable.size() + p.writable.size());
                    assertThat(c.tolerated()).isEmpty();
                    inFlight.add(c);
                }
                assertThat(device.isBroken()).isFalse();
                assertThat(device.base() & 0xffff).isEqualTo(driver.base() & 0xffff);

                // Complete a random subset in random order; every tenth round drains and resumes from base().
                boolean drain = round % 10 == 9;
                Collections.shuffle(inFlight, rnd);
                int n = drain ? inFlight.size() : rnd.nextInt(inFlight.size() + 1);
                int writesBefore = rec.used().size();
                for (Chain done : new ArrayList<>(inFlight.subList(0, n))) {
                    long w = done.writableBytes() == 0 ? 0 : rnd.nextLong(done.writableBytes() + 1);
                    writtenById.put(done.id(), w);
                    device.complete(done, w);
                    inFlight.remove(done);
                }
                boolean wrote = rec.used().size() > writesBefore;
                // The driver reaps everything each round and asks for interrupts: any write is worth one.
                assertThat(device.publish()).isEqualTo(wrote);
                List<Used> reaped = driver.reap();
                assertThat(reaped).hasSize(rec.used().size() - writesBefore);
                for (Used u : reaped) {
                    assertThat(u.length()).isEqualTo(writtenById.remove(u.id()));
                    Posted p = posted.remove(u.id());
                    slotsUsed += p.indirect ? 1 : p.readable.size() + p.writable.size();
                    if (inOrder) assertThat(u.id()).isEqualTo(postOrder.remove(0));
                }
                assertThat(device.base() >>> 16).isEqualTo(driver.base() >>> 16);
                if (drain) {
                    assertThat(device.inFlight()).isZero();
                    device = new PackedDeviceQueue(m, config.withBase(device.base()));
                }
            }
            assertThat(slotsUsed).as("laps").isGreaterThan(4L * q);
            assertThat(rec.rejections()).isEmpty();
        }
    }

    @ParameterizedTest(name = "eventIdx={0}")
    @CsvSource({"false", "true"})
    void notificationSuppressionBothWays(boolean eventIdx) {
        long features = PACKED | (eventIdx ? F_EVENT_IDX : 0);
        int q = 4;
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            PackedDriverQueue driver = new PackedDriverQueue(m, new PackedRing(q, RING, DRIVER_EVENT, DEVICE_EVENT), features,
                    IndirectArea.NONE, 3, true);
            QueueRecorder rec = new QueueRecorder();
            PackedDeviceQueue device = new PackedDeviceQueue(m,
                    QueueConfig.of(0, q, RING, DRIVER_EVENT, DEVICE_EVENT, features).withObserver(rec).withBase(driver.base()));

            // Available-buffer notifications: suppressed while the device polls, and the recheck sees the buffer.
            device.disableNotifications();
            int a = driver.post(List.of(new Segment(DATA, 8)), List.of(), false);
            assertThat(driver.publish()).isFalse();
            assertThat(device.enableNotifications()).isTrue();
            Chain ca = device.poll();
            assertThat(ca.id()).isEqualTo(a);
            assertThat(device.enableNotifications()).isFalse();
            int b = driver.post(List.of(), List.of(new Segment(DATA + 0x100, 8)), false);
            assertThat(driver.publish()).isTrue();
            Chain cb = device.poll();

            // Used-buffer notifications.
            driver.setInterruptsWanted(false);
            device.complete(ca, 0);
            assertThat(device.publish()).isFalse();
            assertThat(rec.decisions()).last().extracting(QueueRecorder.Decision::reason).asString().contains("DISABLE");
            driver.setInterruptsWanted(true);
            assertThat(driver.reap()).containsExactly(new Used(a, 0));
            device.complete(cb, 8);
            assertThat(device.publish()).isTrue();
            assertThat(device.publish()).as("nothing new").isFalse();
            assertThat(driver.reap()).containsExactly(new Used(b, 8));

            // Two completions without a reap in between: with EVENT_IDX the second one is past the event point.
            int c = driver.post(List.of(new Segment(DATA + 0x200, 8)), List.of(), false);
            int d = driver.post(List.of(new Segment(DATA + 0x300, 8)), List.of(), false);
            driver.publish();
            Chain cc = device.poll();
            Chain cd = device.poll();
            device.complete(cc, 0);
            assertThat(device.publish()).isTrue();
            device.complete(cd, 0);
            assertThat(device.publish()).isEqualTo(!eventIdx);
            assertThat(driver.reap()).containsExactly(new Used(c, 0), new Used(d, 0));
        }
    }

    @Test
    void descEventThresholdHandlesWrap() {
        int q = 5;
        // The writer moved from slot 4 (lap 1) over the end to slot 1 (lap 0): slots 4 and 0 were written.
        assertThat(PackedRing.needEvent(PackedRing.offWrap(4, true), q, 1, false, 2)).isTrue();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(0, false), q, 1, false, 2)).isTrue();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(1, false), q, 1, false, 2)).isFalse();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(3, true), q, 1, false, 2)).isFalse();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(2, true), q, 3, true, 1)).isTrue();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(2, false), q, 3, true, 1)).isFalse();
        assertThat(PackedRing.needEvent(PackedRing.offWrap(2, false), q, 3, true, 5)).isTrue();
    }

    @Test
    void setupIsValidated() {
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 0, RING, DRIVER_EVENT, DEVICE_EVENT, PACKED)))
                    .isInstanceOf(QueueSetupException.class);
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 32769, RING, DRIVER_EVENT, DEVICE_EVENT, PACKED)))
                    .isInstanceOf(QueueSetupException.class);
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 3, RING + 8, DRIVER_EVENT, DEVICE_EVENT, PACKED)))
                    .isInstanceOf(QueueSetupException.class).hasMessageContaining("aligned");
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 3, RING, DRIVER_EVENT + 2, DEVICE_EVENT, PACKED)))
                    .isInstanceOf(QueueSetupException.class).hasMessageContaining("aligned");
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 3, RING, DRIVER_EVENT, MEM_END, PACKED)))
                    .isInstanceOf(QueueSetupException.class).hasMessageContaining("inside");
            assertThatThrownBy(() -> new PackedDeviceQueue(m, QueueConfig.of(0, 4096, MEM_END - 0x8000, DRIVER_EVENT, DEVICE_EVENT, PACKED)))
                    .isInstanceOf(QueueSetupException.class).hasMessageContaining("inside");
            assertThat(new PackedDeviceQueue(m, QueueConfig.of(0, 3, RING, DRIVER_EVENT, DEVICE_EVENT, PACKED)).size()).isEqualTo(3);
        }
    }

    // ------------------------------------------------------------------ one test per rule

    @Test
    void listNotAvailable() {
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT);
            desc(m, 1, DATA + 0x100, 16, 3, 0); // second slot never made available
        };
        assertRejected(ring, 4, PACKED, ChainRule.LIST_NOT_AVAILABLE, "DRV-PACKED-026");
        Chain c = assertTolerated(ring, 4, PACKED, ChainRule.LIST_NOT_AVAILABLE);
        assertThat(c.id()).isEqualTo(3);
        assertThat(c.ringSlots()).isEqualTo(2);
        assertThat(c.readable()).hasSize(2);
        // The list's end cannot be trusted, so SKIP cannot return it: the queue stops instead.
        QueueRecorder rec = run(ring, 4, PACKED, ValidationPolicy.skipInvalid(), q -> {
            assertThat(q.poll()).isNull();
            assertThat(q.isBroken()).isTrue();
        });
        assertThat(rec.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.NEEDS_RESET);
    }

    @Test
    void chainTooLong() {
        // Through an indirect table: 3 buffers in a queue of 2.
        Consumer<GuestMemory> table = m -> {
            desc(m, 0, TABLE, 48, 1, AV | IND);
            for (int i = 0; i < 3; i++) entry(m, i, DATA + 0x100L * i, 16, 0);
        };
        assertRejected(table, 2, PACKED | F_INDIRECT, ChainRule.CHAIN_TOO_LONG, "DRV-PACKED-008");
        Chain c = assertTolerated(table, 2, PACKED | F_INDIRECT, ChainRule.CHAIN_TOO_LONG);
        assertThat(c.readable()).hasSize(3);
        assertThat(c.ringSlots()).isEqualTo(1);

        // Beyond the hard limit no policy serves it; the extent is known, so tolerant skips it.
        QueueRecorder capped = run(table, 2, PACKED | F_INDIRECT, ValidationPolicy.tolerant().withHardChainLimit(2), q -> {
            assertThat(q.poll()).isNull();
            assertThat(q.isBroken()).isFalse();
        });
        assertThat(capped.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.SKIP);
        assertThat(capped.used().size()).isEqualTo(1);

        // Through the ring: NEXT on every slot never ends the list. No end, so even tolerant stops the queue.
        Consumer<GuestMemory> endless = m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT);
            desc(m, 1, DATA + 0x100, 16, 0, AV | NEXT);
        };
        assertRejected(endless, 2, PACKED, ChainRule.CHAIN_TOO_LONG, "DRV-PACKED-008");
        QueueRecorder rec = run(endless, 2, PACKED, ValidationPolicy.tolerant(), q -> {
            assertThat(q.poll()).isNull();
            assertThat(q.isBroken()).isTrue();
        });
        assertThat(rec.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.NEEDS_RESET);
    }

    @Test
    void totalLengthOverflow() {
        // 4096 buffers of 1 MiB (all the same memory) add up to 2^32, one more than a used descriptor can report.
        int q = 4096;
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, TABLE, 16 * q, 0, AV | IND);
            for (int i = 0; i < q; i++) entry(m, i, MEM_BASE, (int) MEM_SIZE, 0);
        };
        ChainError e = assertRejected(ring, q, PACKED | F_INDIRECT, ChainRule.TOTAL_LENGTH_OVERFLOW, "DRV-PACKED-039");
        assertThat(e.descriptor()).isEqualTo(q - 1);
        assertThat(e.indirect()).isTrue();
    }

    @Test
    void bufferOutsideMemory() {
        assertRejected(m -> desc(m, 0, MEM_END, 16, 0, AV), 1, PACKED, ChainRule.BUFFER_OUTSIDE_MEMORY, "DRV-PACKED-037");
        assertRejected(m -> desc(m, 0, MEM_END - 8, 16, 0, AV), 1, PACKED, ChainRule.BUFFER_OUTSIDE_MEMORY, "DRV-PACKED-037");
        assertRejected(m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT);
            desc(m, 1, -16, 32, 0, AV); // wraps around the address space
        }, 2, PACKED, ChainRule.BUFFER_OUTSIDE_MEMORY, "DRV-PACKED-037");
        // Zero length is no exemption: the address must still be guest memory.
        assertRejected(m -> desc(m, 0, MEM_END + 0x1000, 0, 0, AV), 1, PACKED, ChainRule.BUFFER_OUTSIDE_MEMORY, "DRV-PACKED-037");
    }

    @Test
    void readableAfterWritable() {
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT | WRITE);
            desc(m, 1, DATA + 0x100, 16, 1, AV);
        };
        assertRejected(ring, 2, PACKED, ChainRule.READABLE_AFTER_WRITABLE, "DRV-PACKED-009");
        Chain c = assertTolerated(ring, 2, PACKED, ChainRule.READABLE_AFTER_WRITABLE);
        assertThat(c.writable()).containsExactly(new Segment(DATA, 16));
        assertThat(c.readable()).containsExactly(new Segment(DATA + 0x100, 16));
    }

    @Test
    void aToleratedMixedChainKeepsEachKindInChainOrder() {
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT | WRITE);
            desc(m, 1, DATA + 0x100, 32, 0, AV | NEXT);
            desc(m, 2, DATA + 0x200, 48, 0, AV | NEXT | WRITE);
            desc(m, 3, DATA + 0x300, 64, 3, AV);
        };
        Chain c = assertTolerated(ring, 4, PACKED, ChainRule.READABLE_AFTER_WRITABLE);
        assertThat(c.readable()).containsExactly(new Segment(DATA + 0x100, 32), new Segment(DATA + 0x300, 64));
        assertThat(c.writable()).containsExactly(new Segment(DATA, 16), new Segment(DATA + 0x200, 48));
        assertThat(c.bufferAddress(0)).isEqualTo(DATA + 0x100);
        assertThat(c.bufferLength(3)).isEqualTo(48);
        assertThat(c.readableBytes()).isEqualTo(96);
        assertThat(c.writableBytes()).isEqualTo(64);
    }

    @Test
    void indirectNotNegotiated() {
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, TABLE, 16, 0, AV | IND);
            entry(m, 0, DATA, 16, WRITE);
        };
        assertRejected(ring, 1, PACKED, ChainRule.INDIRECT_NOT_NEGOTIATED, "DRV-PACKED-013");
        Chain c = assertTolerated(ring, 1, PACKED, ChainRule.INDIRECT_NOT_NEGOTIATED);
        assertThat(c.writable()).containsExactly(new Segment(DATA, 16));
    }

    @Test
    void indirectWithNext() {
        Consumer<GuestMemory> first = m -> {
            desc(m, 0, TABLE, 16, 0, AV | IND | NEXT);
            entry(m, 0, DATA, 16, 0);
            desc(m, 1, DATA + 0x100, 16, 2, AV | WRITE);
        };
        assertRejected(first, 2, PACKED | F_INDIRECT, ChainRule.INDIRECT_WITH_NEXT, "DRV-PACKED-016");
        Chain c = assertTolerated(first, 2, PACKED | F_INDIRECT, ChainRule.INDIRECT_WITH_NEXT);
        assertThat(c.id()).isEqualTo(2);
        assertThat(c.ringSlots()).isEqualTo(2);
        assertThat(c.readable()).containsExactly(new Segment(DATA, 16));
        assertThat(c.writable()).containsExactly(new Segment(DATA + 0x100, 16));

        Consumer<GuestMemory> later = m -> {
            desc(m, 0, DATA, 16, 0, AV | NEXT);
            desc(m, 1, TABLE, 16, 0, AV | IND);
            entry(m, 0, DATA + 0x100, 16, 0);
        };
        assertRejected(later, 2, PACKED | F_INDIRECT, ChainRule.INDIRECT_WITH_NEXT, "DRV-PACKED-016");
    }

    @Test
    void indirectTableFlags() {
        Consumer<GuestMemory> ring = m -> {
            desc(m, 0, TABLE, 32, 0, AV | IND);
            entry(m, 0, DATA, 16, NEXT);
            entry(m, 1, DATA + 0x100, 16, WRITE | IND);
        };
        ChainError e = assertRejected(ring, 2, PACKED | F_INDIRECT, ChainRule.INDIRECT_TABLE_FLAGS, "DRV-PACKED-014");
        assertThat(e.indirect()).isTrue();
        Chain c = assertTolerated(ring, 2, PACKED | F_INDIRECT, ChainRule.INDIRECT_TABLE_FLAGS);
        // The stray bits are ignored: entries are read in sequence, WRITE alone decides the direction.
        assertThat(c.readable()).containsExactly(new Segment(DATA, 16));
        assertThat(c.writable()).containsExactly(new Segment(DATA + 0x100, 16));
        assertThat(c.tolerated()).hasSize(1);
    }

    @Test
    void indirectBadLength() {
        assertRejected(m -> desc(m, 0, TABLE, 24, 0, AV | IND), 1, PACKED | F_INDIRECT,
                ChainRule.INDIRECT_BAD_LENGTH, "DRV-PACKED-038");
        assertRejected(m -> desc(m, 0, TABLE, 0, 0, AV | IND), 1, PACKED | F_INDIRECT,
                ChainRule.INDIRECT_BAD_LENGTH, "DRV-PACKED-038");
    }

    @Test
    void indirectTableOutsideMemory() {
        assertRejected(m -> desc(m, 0, MEM_END - 16, 32, 0, AV | IND), 1, PACKED | F_INDIRECT,
                ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY, "DRV-PACKED-037");
        assertRejected(m -> desc(m, 0, 0x7fff_ffff_ffff_fff0L, 0x7fff_fff0, 0, AV | IND), 1, PACKED | F_INDIRECT,
                ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY, "DRV-PACKED-037");
    }

    // ------------------------------------------------------------------ SKIP

    @ParameterizedTest(name = "inOrder={0}")
    @CsvSource({"false", "true"})
    void skipReturnsTheListWithLengthZeroAndTheQueueGoesOn(boolean inOrder) {
        long features = PACKED | (inOrder ? F_IN_ORDER : 0);
        int q = 4;
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            PackedRing ring = new PackedRing(q, RING, DRIVER_EVENT, DEVICE_EVENT);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, features, IndirectArea.NONE, 0, true);
            QueueRecorder rec = new QueueRecorder();
            PackedDeviceQueue device = new PackedDeviceQueue(m, QueueConfig.of(0, q, RING, DRIVER_EVENT, DEVICE_EVENT, features)
                    .withPolicy(ValidationPolicy.skipInvalid()).withObserver(rec));

            int bad = driver.post(List.of(new Segment(DATA, 16)), List.of(new Segment(DATA + 0x100, 16), new Segment(DATA + 0x200, 16)), false);
            int good = driver.post(List.of(), List.of(new Segment(DATA + 0x300, 16)), false);
            m.writeLe64(ring.desc(1), MEM_END + 0x1000); // the middle descriptor of the first list leaves memory
            driver.publish();

            Chain c = device.poll();
            assertThat(c.id()).isEqualTo(good);
            assertThat(rec.rejections()).singleElement().extracting(Rejection::error).satisfies(e -> {
                assertThat(e.rule()).isEqualTo(ChainRule.BUFFER_OUTSIDE_MEMORY);
                assertThat(e.descriptor()).isEqualTo(1);
            });
            assertThat(rec.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.SKIP);
            // The used descriptor for the skipped list sits in its first slot, without WRITE.
            assertThat(m.readLe16(ring.descFlags(0)) & 0xffff).isEqualTo(PackedRing.usedBits(true));
            assertThat(m.readLe16(ring.descId(0)) & 0xffff).isEqualTo(bad);
            device.complete(c, 5);
            assertThat(device.publish()).isTrue();
            assertThat(driver.reap()).containsExactly(new Used(bad, 0), new Used(good, 5));
            assertThat(device.isBroken()).isFalse();

            // The ring wrapped: the queue keeps serving.
            for (int i = 0; i < 6; i++) {
                int id = driver.post(List.of(new Segment(DATA, 16)), List.of(), false);
                driver.publish();
                Chain next = device.poll();
                assertThat(next.id()).isEqualTo(id);
                device.complete(next, 0);
                device.publish();
                assertThat(driver.reap()).containsExactly(new Used(id, 0));
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Guest memory whose guard fails the test on any out-of-range access attempt. */
    private static GuestMemory guarded(OwnedGuestMemory owned) {
        return owned.memory().withGuard((a, l, w) -> {
            throw new AssertionError(String.format("out-of-range %s at 0x%x+%d", w ? "write" : "read", a, l));
        });
    }

    private static void desc(GuestMemory m, int slot, long addr, int len, int id, int flags) {
        long d = RING + 16L * slot;
        m.writeLe64(d, addr);
        m.writeLe32(d + 8, len);
        m.writeLe16(d + 12, (short) id);
        m.writeLe16(d + 14, (short) flags);
    }

    private static void entry(GuestMemory m, int i, long addr, int len, int flags) {
        long d = TABLE + 16L * i;
        m.writeLe64(d, addr);
        m.writeLe32(d + 8, len);
        m.writeLe16(d + 12, (short) 0x5a5a); // ignored inside a table
        m.writeLe16(d + 14, (short) flags);
    }

    private static QueueRecorder run(Consumer<GuestMemory> setup, int q, long features, ValidationPolicy policy,
                                Consumer<PackedDeviceQueue> body) {
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            setup.accept(m);
            QueueRecorder rec = new QueueRecorder();
            PackedDeviceQueue dq = new PackedDeviceQueue(m, QueueConfig.of(0, q, RING, DRIVER_EVENT, DEVICE_EVENT, features)
                    .withPolicy(policy).withObserver(rec));
            body.accept(dq);
            return rec;
        }
    }

    private static ChainError assertRejected(Consumer<GuestMemory> setup, int q, long features, ChainRule rule, String requirement) {
        List<ChainError> broken = new ArrayList<>();
        QueueRecorder rec = run(setup, q, features, ValidationPolicy.strict(), dq -> {
            assertThat(dq.poll()).isNull();
            assertThat(dq.isBroken()).isTrue();
            assertThat(dq.poll()).isNull();
            broken.add(dq.brokenBy());
        });
        assertThat(rec.chains()).isEmpty();
        assertThat(rec.rejections()).singleElement().extracting(Rejection::error).satisfies(e -> {
            assertThat(e.rule()).isEqualTo(rule);
            assertThat(e.requirement()).isEqualTo(requirement);
        });
        assertThat(rec.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.NEEDS_RESET);
        assertThat(broken.get(0)).isEqualTo(rec.rejections().get(0).error());
        return broken.get(0);
    }

    private static Chain assertTolerated(Consumer<GuestMemory> setup, int q, long features, ChainRule rule) {
        List<Chain> served = new ArrayList<>();
        QueueRecorder rec = run(setup, q, features, ValidationPolicy.tolerant(), dq -> {
            Chain c = dq.poll();
            assertThat(c).isNotNull();
            assertThat(dq.isBroken()).isFalse();
            dq.complete(c, 0);
            served.add(c);
        });
        Chain c = served.get(0);
        assertThat(rec.rejections()).isEmpty();
        assertThat(rec.chains()).containsExactly(c);
        assertThat(c.tolerated()).extracting(ChainError::rule).contains(rule);
        assertThat(c.tolerated()).allSatisfy(e -> assertThat(e.requirement()).isEqualTo(e.rule().packedRequirement()));
        return c;
    }

    private record Posted(List<Segment> readable, List<Segment> writable, boolean indirect) {
        private static int next;

        static Posted make(Random rnd, int r, int w, boolean indirect) {
            List<Segment> rs = new ArrayList<>();
            List<Segment> ws = new ArrayList<>();
            for (int i = 0; i < r + w; i++) {
                Segment s = new Segment(DATA + 0x100L * (next++ % 1024), 1 + rnd.nextInt(200));
                (i < r ? rs : ws).add(s);
            }
            return new Posted(rs, ws, indirect);
        }
    }
}
