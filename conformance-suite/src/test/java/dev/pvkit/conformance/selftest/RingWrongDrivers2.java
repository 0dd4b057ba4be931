package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.sdk.virtqueue.PackedRing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static dev.pvkit.conformance.selftest.RingRig.*;

/**
 * More wrong ring drivers: the split size limit, the ring contents at start, the packed wrap counter and room for a
 * packed list. Each breaks exactly one rule with otherwise valid virtio-blk reads (see {@link RingRig}).
 */
final class RingWrongDrivers2 {
    private RingWrongDrivers2() {
    }

    private static final int P_NEXT = PackedRing.F_NEXT;
    private static final int P_WRITE = PackedRing.F_WRITE;
    private static final int P_INDIRECT = PackedRing.F_INDIRECT;
    /** AVAIL/USED bits of a descriptor made available with a wrap counter of 0. */
    private static final int P_AVAIL_LAP0 = PackedRing.availBits(false);

    private static WrongDriver wrong(String id, String name, boolean packed, boolean indirect, Consumer<RingRig> body) {
        return WrongDriver.breaking(id, name, () -> RingRig.run(RingRig.started(packed, false, indirect), body));
    }

    /** A rig with features negotiated, queue 0 laid out by the driver model, {@code spoil} run before the start. */
    private static WrongDriver wrongStart(String id, String name, boolean packed, Consumer<RingRig> spoil, Consumer<RingRig> body) {
        return WrongDriver.breaking(id, name, () -> RingRig.run(RingRig.connect(packed, false, false), r -> {
            r.startQueue(Q, RING, DRIVER_AREA, DEVICE_AREA, () -> spoil.accept(r));
            body.accept(r);
        }));
    }

    static List<WrongDriver> all() {
        List<WrongDriver> all = new ArrayList<>();
        all.add(WrongDriver.breaking("DRV-SPLIT-005", "split: SET_VRING_NUM 65536, a power of two above 32768",
                () -> RingRig.run(RingRig.connect(false, false, false), r -> {
                    r.refusedVringNum(65536);
                    r.startQueue(Q, RING, DRIVER_AREA, DEVICE_AREA);
                    r.requests(1, false);
                })));
        all.add(wrongStart("DRV-SPLIT-034", "split: used.flags left at 1 (NO_NOTIFY) when the used ring is allocated", false,
                r -> r.memory().writeLe16(r.split.usedFlags(), (short) 1), r -> {
                    r.request(false);
                    r.kick(); // the driver model read NO_NOTIFY and held its kick back
                    r.awaitUsed(1);
                }));
        all.add(wrongStart("DRV-PACKED-036", "packed: slot Q-1 left holding used-looking flags when the queue is enabled", true,
                r -> r.memory().writeLe16(r.packedRing.descFlags(Q - 1), (short) PackedRing.usedBits(true)),
                r -> r.requests(1, false)));
        all.add(wrong("DRV-PACKED-019", "packed: first list made available with a wrap counter of 0", true, false, r -> {
            firstListWithBits(r, P_AVAIL_LAP0);
        }));
        all.add(wrong("DRV-PACKED-021", "packed: first list with AVAIL 0 and USED 0 (AVAIL not the counter 1)", true, false, r -> {
            firstListWithBits(r, 0);
        }));
        all.add(wrong("DRV-PACKED-022", "packed: first list with AVAIL 1 and USED 1 (USED not the inverse of 1)", true, false, r -> {
            firstListWithBits(r, PackedRing.F_AVAIL | PackedRing.F_USED);
        }));
        all.add(wrong("DRV-PACKED-020", "packed: wrap counter flipped after slot 5, mid first lap", true, false, r -> {
            r.requests(2, false); // two 3-slot lists, slots 0..5, with counter 1
            r.writeHeader(2);
            listAt(r, 6, new long[][]{
                    {header(2), 16, 0, P_NEXT},
                    {data(2), SECTOR, 0, P_WRITE | P_NEXT},
                    {status(2), 1, 7, P_WRITE}}, P_AVAIL_LAP0);
            r.awaitEvent(e -> e instanceof RingEvent.UnexpectedSlotFlags);
        }));
        all.add(wrong("DRV-PACKED-020", "packed: wrap counter not flipped after slot Q-1", true, true, r -> {
            for (int i = 0; i < Q; i++) { // Q one-slot indirect lists: the device is back at slot 0, lap with wrap 0
                r.request(true);
                r.awaitUsed(1);
            }
            r.writeHeader(0);
            r.packedTableEntry(TABLES, 0, header(0), 16, 0);
            r.packedTableEntry(TABLES, 1, data(0), SECTOR, P_WRITE);
            r.packedTableEntry(TABLES, 2, status(0), 1, P_WRITE);
            listAt(r, 0, new long[][]{{TABLES, 48, 3, P_INDIRECT}}, PackedRing.availBits(true)); // still counter 1
            r.awaitEvent(e -> e instanceof RingEvent.UnexpectedSlotFlags);
        }));
        all.add(wrong("DRV-PACKED-011", "packed: a 5-slot list made available with 4 slots free, its tail over a list the device holds", true, false, r -> {
            // Four 3-slot requests (slots 0..11) go in while the ring is stopped, and the back-end restarts at the
            // base QEMU would hand it had the old one taken them: it holds slots 0..11, and 12..15 are free.
            r.restartQueue(PackedRing.offWrap(12, true) | (long) PackedRing.offWrap(0, true) << 16, () -> {
                for (int i = 0; i < 4; i++) r.request(false);
            });
            r.writeHeader(4);
            listAt(r, 12, new long[][]{            // slots 12..15 and then slot 0, the first held one: 5 <= Q
                    {header(4), 16, 0, P_NEXT},
                    {data(4), SECTOR, 0, P_WRITE | P_NEXT},
                    {data(4) + SECTOR, SECTOR, 0, P_WRITE | P_NEXT},
                    {data(4) + 2 * SECTOR, SECTOR, 0, P_WRITE | P_NEXT},
                    {status(4), 1, 4, P_WRITE}}, P_AVAIL_LAP1);
            r.awaitRefusal();
        }));
        return List.copyOf(all);
    }

    /** Request 0 as a 3-slot list at slot 0 with {@code bits} as AVAIL/USED in every slot, after the device's look at the ring. */
    private static void firstListWithBits(RingRig r, int bits) {
        r.awaitEvent(e -> e instanceof RingEvent.PackedRingAtStart); // the queue is built: what follows is written after enable
        r.writeHeader(0);
        r.packedList(new long[][]{
                {header(0), 16, 0, P_NEXT},
                {data(0), SECTOR, 0, P_WRITE | P_NEXT},
                {status(0), 1, 0, P_WRITE}}, new int[]{bits, bits, bits});
        r.awaitEvent(e -> e instanceof RingEvent.UnexpectedSlotFlags);
    }

    /**
     * A list from {@code start} with {@code bits} as AVAIL/USED, later slots first and the first slot's flags last
     * with release; then a kick. Slots past Q-1 go on at slot 0 with both bits flipped, as the next lap's.
     */
    private static void listAt(RingRig r, int start, long[][] slots, int bits) {
        for (int i = slots.length - 1; i >= 0; i--) {
            boolean nextLap = start + i >= Q;
            long at = r.packedRing.desc(nextLap ? start + i - Q : start + i);
            r.memory().writeLe64(at, slots[i][0]);
            r.memory().writeLe32(at + 8, (int) slots[i][1]);
            r.memory().writeLe16(at + 12, (short) slots[i][2]);
            int flags = (int) slots[i][3] | (nextLap ? bits ^ (PackedRing.F_AVAIL | PackedRing.F_USED) : bits);
            if (i > 0) r.memory().writeLe16(at + 14, (short) flags);
            else r.memory().writeLe16Release(at + 14, (short) flags);
        }
        r.kick();
    }
}
