package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.QueueRecorder.Rejection;
import dev.pvkit.sdk.testkit.QueueRecorder;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A packed list that runs on into ring slots the device still holds: within Q slots the driver made it available
 * without room for it (DRV-PACKED-011), past Q it is longer than the queue (DRV-PACKED-008). In a queue of 4 the
 * device takes list A (slots 0 and 1) and keeps it; list B then starts at slot 2, where only slots 2 and 3 are free.
 */
class PackedHeldSlotsTest {
    private static final long MEM_BASE = 0x10000;
    private static final long MEM_SIZE = 1 << 20;
    private static final long RING = 0x10000;
    private static final long DRIVER_EVENT = 0x30000;
    private static final long DEVICE_EVENT = 0x30004;
    private static final long DATA = 0x60000;
    private static final long PACKED = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
    private static final int Q = 4;
    private static final int NEXT = PackedRing.F_NEXT;
    private static final int LAP1 = PackedRing.availBits(true);
    private static final int LAP0 = PackedRing.availBits(false);

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"strict", "tolerant"})
    void aListWithinQThatRunsIntoHeldSlotsBreaksTheRoomRule(String policy) {
        // B's third descriptor is written over slot 0 for lap 0: three slots, within Q, but slot 0 is A's.
        QueueRecorder rec = afterA(policy.equals("strict") ? ValidationPolicy.strict() : ValidationPolicy.tolerant(), m -> {
            desc(m, 0, DATA + 0x400, 7, LAP0);
            desc(m, 3, DATA + 0x300, 0, LAP1 | NEXT);
            desc(m, 2, DATA + 0x200, 0, LAP1 | NEXT);
        });
        ChainError e = rec.rejections().get(0).error();
        assertThat(e.rule()).isEqualTo(ChainRule.LIST_INTO_HELD_SLOTS);
        assertThat(e.requirement()).isEqualTo("DRV-PACKED-011");
        assertThat(e.head()).isEqualTo(2);
        assertThat(e.descriptor()).as("the last free slot, whose NEXT leads on").isEqualTo(3);
        assertThat(e.detail()).isEqualTo("list of 3 slots runs on into slot 0, the first of the 2 slots the device still holds");
        // No policy serves it or skips it: its tail is A's slot.
        assertThat(rec.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.NEEDS_RESET);
    }

    @Test
    void aListWhoseTailIsNotWrittenYetRunsIntoHeldSlotsToo() {
        // Slot 0 still holds A's first descriptor (lap 1): B's NEXT leads into a slot the device holds all the same.
        QueueRecorder rec = afterA(ValidationPolicy.strict(), m -> {
            desc(m, 3, DATA + 0x300, 0, LAP1 | NEXT);
            desc(m, 2, DATA + 0x200, 0, LAP1 | NEXT);
        });
        assertThat(rec.rejections()).singleElement().extracting(Rejection::error).satisfies(e -> {
            assertThat(e.rule()).isEqualTo(ChainRule.LIST_INTO_HELD_SLOTS);
            assertThat(e.detail()).isEqualTo("list runs on into slot 0, the first of the 2 slots the device still holds");
        });
    }

    @Test
    void aListLongerThanQThroughHeldSlotsIsStillTooLong() {
        // NEXT in all four slots: B would need a fifth, more than the queue size whatever the device holds.
        QueueRecorder rec = afterA(ValidationPolicy.strict(), m -> {
            desc(m, 1, DATA + 0x500, 0, LAP0 | NEXT);
            desc(m, 0, DATA + 0x400, 0, LAP0 | NEXT);
            desc(m, 3, DATA + 0x300, 0, LAP1 | NEXT);
            desc(m, 2, DATA + 0x200, 0, LAP1 | NEXT);
        });
        assertThat(rec.rejections()).singleElement().extracting(Rejection::error).satisfies(e -> {
            assertThat(e.rule()).isEqualTo(ChainRule.CHAIN_TOO_LONG);
            assertThat(e.requirement()).isEqualTo("DRV-PACKED-008");
            assertThat(e.detail()).isEqualTo("list runs past all 4 ring slots, 2 of them still held by the device");
        });
    }

    @Test
    void aListThatFitsTheFreeSlotsIsServed() {
        QueueRecorder rec = afterA(ValidationPolicy.strict(), m -> {
            desc(m, 3, DATA + 0x300, 9, LAP1);
            desc(m, 2, DATA + 0x200, 0, LAP1 | NEXT);
        });
        assertThat(rec.rejections()).isEmpty();
        assertThat(rec.chains()).extracting(Chain::id).containsExactly(5, 9);
    }

    @Test
    void slotsHeldSinceARestartCountAsHeld() {
        // A restarted back-end told (by the base) that slots 0 and 1 are in flight: the same rule.
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            desc(m, 0, DATA + 0x400, 7, LAP0);
            desc(m, 3, DATA + 0x300, 0, LAP1 | NEXT);
            desc(m, 2, DATA + 0x200, 0, LAP1 | NEXT);
            QueueRecorder rec = new QueueRecorder();
            long base = 2 | 1L << 15 | 1L << 31; // available position slot 2, used position slot 0, both in lap 1
            PackedDeviceQueue dq = new PackedDeviceQueue(m, config(ValidationPolicy.strict(), rec).withBase(base));
            assertThat(dq.poll()).isNull();
            assertThat(dq.brokenBy().rule()).isEqualTo(ChainRule.LIST_INTO_HELD_SLOTS);
        }
    }

    /** The device takes A (slots 0 and 1, id 5) and holds it; then {@code writeB} and one more poll. */
    private static QueueRecorder afterA(ValidationPolicy policy, Consumer<GuestMemory> writeB) {
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(MEM_BASE, MEM_SIZE)) {
            GuestMemory m = guarded(owned);
            desc(m, 1, DATA + 0x100, 5, LAP1);
            desc(m, 0, DATA, 0, LAP1 | NEXT);
            QueueRecorder rec = new QueueRecorder();
            PackedDeviceQueue dq = new PackedDeviceQueue(m, config(policy, rec));
            assertThat(dq.poll().id()).isEqualTo(5);
            writeB.accept(m);
            Chain b = dq.poll();
            assertThat(b == null).isEqualTo(dq.isBroken());
            return rec;
        }
    }

    private static QueueConfig config(ValidationPolicy policy, QueueRecorder rec) {
        return QueueConfig.of(0, Q, RING, DRIVER_EVENT, DEVICE_EVENT, PACKED).withPolicy(policy).withObserver(rec);
    }

    /** Guest memory whose guard fails the test on any out-of-range access: the walk never reads past the ring. */
    private static GuestMemory guarded(OwnedGuestMemory owned) {
        return owned.memory().withGuard((a, l, w) -> {
            throw new AssertionError(String.format("out-of-range %s at 0x%x+%d", w ? "write" : "read", a, l));
        });
    }

    /** A 16-byte readable descriptor in {@code slot}. */
    private static void desc(GuestMemory m, int slot, long addr, int id, int flags) {
        long d = RING + 16L * slot;
        m.writeLe64(d, addr);
        m.writeLe32(d + 8, 16);
        m.writeLe16(d + 12, (short) id);
        m.writeLe16(d + 14, (short) flags);
    }
}
