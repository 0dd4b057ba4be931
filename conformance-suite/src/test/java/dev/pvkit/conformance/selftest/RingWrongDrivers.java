package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static dev.pvkit.conformance.selftest.RingRig.*;

/**
 * Wrong (and correct) drivers for the ring checks. Each drives the real virtio-blk device over a real vhost-user
 * socket (see {@link RingRig}) and breaks exactly one ring rule with otherwise valid virtio-blk reads.
 */
final class RingWrongDrivers {
    private RingWrongDrivers() {
    }

    /** A rig with queue 0 started, then {@code body}. */
    private static WrongDriver wrong(String id, String name, boolean packed, boolean eventIdx, boolean indirect, Consumer<RingRig> body) {
        return WrongDriver.breaking(id, name, () -> RingRig.run(RingRig.started(packed, eventIdx, indirect), body));
    }

    /**
     * A rig with features negotiated and no queue yet, then {@code body} (a ring set-up the back-end refuses); then
     * the driver lays the ring out correctly and serves one request. (Without QEMU's register trace a session is a
     * driver's only once it used a ring: a set-up that never started one would not be judged at all.)
     */
    private static WrongDriver wrongSetUp(String id, String name, boolean packed, Consumer<RingRig> body) {
        return WrongDriver.breaking(id, name, () -> RingRig.run(RingRig.connect(packed, false, false), r -> {
            body.accept(r);
            r.startQueue(Q, RING, DRIVER_AREA, DEVICE_AREA);
            r.requests(1, false);
        }));
    }

    private static WrongDriver correct(String name, boolean packed, boolean eventIdx, boolean indirect) {
        return WrongDriver.correct(name, () -> RingRig.run(RingRig.started(packed, eventIdx, indirect), r -> {
            r.requests(3 * Q + 5, indirect);        // laps the ring three times (packed: both wrap values)
            r.driver.setInterruptsWanted(false);    // suppression on and off again, as a driver does while polling
            r.requests(3, indirect);
            r.driver.setInterruptsWanted(true);
            for (int i = 0; i < 4; i++) r.request(false); // a batch published one by one, reaped together
            r.awaitUsed(4);
        }));
    }

    static List<WrongDriver> all() {
        List<WrongDriver> all = new ArrayList<>();
        all.add(correct("split ring, no EVENT_IDX, no INDIRECT", false, false, false));
        all.add(correct("split ring with EVENT_IDX and INDIRECT", false, true, true));
        all.add(correct("packed ring, no EVENT_IDX, with INDIRECT", true, false, true));
        all.add(correct("packed ring with EVENT_IDX and INDIRECT", true, true, true));
        split(all);
        packed(all);
        return List.copyOf(all);
    }

    // ------------------------------------------------------------------------------------------------ split

    private static void split(List<WrongDriver> all) {
        all.add(wrong("DRV-SPLIT-006", "split: data buffer (writable) before the header (readable)", false, false, false, r -> {
            r.writeHeader(0);
            r.splitDesc(0, data(0), SECTOR, S_WRITE | S_NEXT, 1);
            r.splitDesc(1, header(0), 16, S_NEXT, 2);
            r.splitDesc(2, status(0), 1, S_WRITE, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-009", "split: next links form a loop", false, false, false, r -> {
            r.writeHeader(0);
            r.splitDesc(0, header(0), 16, S_NEXT, 1);
            r.splitDesc(1, data(0), SECTOR, S_WRITE | S_NEXT, 2);
            r.splitDesc(2, status(0), 1, S_WRITE | S_NEXT, 1);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-012", "split: INDIRECT without VIRTIO_F_INDIRECT_DESC", false, false, false, r -> {
            r.writeHeader(0);
            indirectTable(r);
            r.splitDesc(0, TABLES, 48, S_INDIRECT, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-015", "split: INDIRECT and NEXT on one descriptor", false, false, true, r -> {
            r.writeHeader(0);
            indirectTable(r);
            r.splitDesc(0, TABLES, 48, S_INDIRECT | S_NEXT, 1);
            r.splitDesc(1, status(1), 1, S_WRITE, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-013", "split: INDIRECT inside an indirect table", false, false, true, r -> {
            r.writeHeader(0);
            r.splitTableEntry(TABLES, 0, header(0), 16, S_NEXT, 1);
            r.splitTableEntry(TABLES, 1, TABLES + 0x100, 32, S_INDIRECT, 0);
            r.splitTableEntry(TABLES + 0x100, 0, data(0), SECTOR, S_WRITE | S_NEXT, 1);
            r.splitTableEntry(TABLES + 0x100, 1, status(0), 1, S_WRITE, 0);
            r.splitDesc(0, TABLES, 32, S_INDIRECT, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-017", "split: indirect table length 40, not a multiple of 16", false, false, true, r -> {
            r.writeHeader(0);
            indirectTable(r);
            r.splitDesc(0, TABLES, 40, S_INDIRECT, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-018", "split: available ring entry names descriptor Q + 3", false, false, false, r -> {
            r.writeHeader(0);
            directChain(r);
            r.splitExpose(0, Q + 3);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-019", "split: next link beyond the table", false, false, false, r -> {
            r.writeHeader(0);
            directChain(r);
            r.splitDesc(0, header(0), 16, S_NEXT, Q + 1);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-044", "split: data buffer outside guest memory", false, false, false, r -> {
            r.writeHeader(0);
            directChain(r);
            r.splitDesc(1, OUTSIDE, SECTOR, S_WRITE | S_NEXT, 2);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-014", "split: an indirect chain of Q + 1 descriptors", false, false, true, r -> {
            r.writeHeader(0);
            int n = Q + 1;                          // header, Q - 1 data pieces of one sector, status
            r.splitTableEntry(TABLES, 0, header(0), 16, S_NEXT, 1);
            for (int i = 1; i < n - 1; i++) r.splitTableEntry(TABLES, i, DATA + 0x10000 + (long) SECTOR * i, SECTOR, S_WRITE | S_NEXT, i + 1);
            r.splitTableEntry(TABLES, n - 1, status(0), 1, S_WRITE, 0);
            r.splitDesc(0, TABLES, 16 * n, S_INDIRECT, 0);
            r.splitExpose(0, 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-022", "split: avail.idx jumps Q + 5 entries ahead", false, false, false, r -> {
            r.writeHeader(0);
            directChain(r);
            for (int i = 0; i < Q; i++) r.raw.availEntry(r.split, i, 0);
            r.raw.availIdx(r.split, Q + 5);
            r.kick();
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-020", "split: avail.idx goes back from 1 to 0", false, false, false, r -> {
            r.requests(1, false);
            r.raw.availIdx(r.split, 0);
            r.kick();
            r.awaitEvent(e -> e instanceof RingEvent.AvailMoved m && m.current() == 0);
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-SPLIT-027", "split: avail.flags 2 without EVENT_IDX", false, false, false, r -> {
            r.raw.availFlags(r.split, 2);
            r.requests(1, false);
            r.awaitEvent(e -> e instanceof RingEvent.DriverSuppression s && s.flags() == 2);
        }));
        all.add(wrong("DRV-SPLIT-029", "split: avail.flags 1 (NO_INTERRUPT) with EVENT_IDX", false, true, false, r -> {
            r.raw.availFlags(r.split, 1);
            r.requests(1, false);
            r.awaitEvent(e -> e instanceof RingEvent.DriverSuppression s && s.flags() == 1);
        }));
        all.add(wrongSetUp("DRV-SPLIT-001", "split: descriptor table 8 bytes past a 16-byte boundary", false,
                r -> r.startRefusedQueue(Q, RING + 8, DRIVER_AREA, DEVICE_AREA)));
        all.add(wrongSetUp("DRV-SPLIT-002", "split: available ring at an odd address", false,
                r -> r.startRefusedQueue(Q, RING, DRIVER_AREA + 1, DEVICE_AREA)));
        all.add(wrongSetUp("DRV-SPLIT-003", "split: used ring 2 bytes past a 4-byte boundary", false,
                r -> r.startRefusedQueue(Q, RING, DRIVER_AREA, DEVICE_AREA + 2)));
        all.add(wrongSetUp("DRV-SPLIT-004", "split: queue size 12, not a power of two", false,
                r -> r.startRefusedQueue(12, RING, DRIVER_AREA, DEVICE_AREA)));
    }

    /** Request 0 as a direct chain in descriptors 0..2 (not yet exposed). */
    private static void directChain(RingRig r) {
        r.splitDesc(0, header(0), 16, S_NEXT, 1);
        r.splitDesc(1, data(0), SECTOR, S_WRITE | S_NEXT, 2);
        r.splitDesc(2, status(0), 1, S_WRITE, 0);
    }

    /** Request 0 as a valid 3-entry split indirect table at {@link RingRig#TABLES}. */
    private static void indirectTable(RingRig r) {
        r.splitTableEntry(TABLES, 0, header(0), 16, S_NEXT, 1);
        r.splitTableEntry(TABLES, 1, data(0), SECTOR, S_WRITE | S_NEXT, 2);
        r.splitTableEntry(TABLES, 2, status(0), 1, S_WRITE, 0);
    }

    // ------------------------------------------------------------------------------------------------ packed

    private static final int P_NEXT = 1;
    private static final int P_WRITE = 2;
    private static final int P_INDIRECT = 4;

    private static void packed(List<WrongDriver> all) {
        all.add(wrong("DRV-PACKED-026", "packed: second descriptor of a list marked available for the wrong lap", true, false, false, r -> {
            r.writeHeader(0);
            r.packedList(new long[][]{
                    {header(0), 16, 0, P_NEXT},
                    {data(0), SECTOR, 0, P_WRITE | P_NEXT},
                    {status(0), 1, 0, P_WRITE}}, new int[]{P_AVAIL_LAP1, 0x8000 /* USED only: lap 0's available bits */, P_AVAIL_LAP1});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-009", "packed: data buffer (writable) before the header (readable)", true, false, false, r -> {
            r.writeHeader(0);
            r.packedList(new long[]{data(0), SECTOR, 0, P_WRITE | P_NEXT}, new long[]{header(0), 16, 0, P_NEXT},
                    new long[]{status(0), 1, 0, P_WRITE});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-016", "packed: INDIRECT on a descriptor with NEXT", true, false, true, r -> {
            r.writeHeader(0);
            packedTable(r, 0);
            r.packedList(new long[]{TABLES, 48, 0, P_INDIRECT | P_NEXT}, new long[]{status(1), 1, 0, P_WRITE});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-014", "packed: NEXT set inside an indirect table", true, false, true, r -> {
            r.writeHeader(0);
            packedTable(r, P_NEXT);
            r.packedList(new long[]{TABLES, 48, 0, P_INDIRECT});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-013", "packed: INDIRECT without VIRTIO_F_INDIRECT_DESC", true, false, false, r -> {
            r.writeHeader(0);
            packedTable(r, 0);
            r.packedList(new long[]{TABLES, 48, 0, P_INDIRECT});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-038", "packed: indirect table length 20", true, false, true, r -> {
            r.writeHeader(0);
            packedTable(r, 0);
            r.packedList(new long[]{TABLES, 20, 0, P_INDIRECT});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-037", "packed: status byte outside guest memory", true, false, false, r -> {
            r.writeHeader(0);
            r.packedList(new long[]{header(0), 16, 0, P_NEXT}, new long[]{data(0), SECTOR, 0, P_WRITE | P_NEXT},
                    new long[]{OUTSIDE, 1, 0, P_WRITE});
            r.awaitRefusal();
        }));
        all.add(wrong("DRV-PACKED-030", "packed: driver area flags DESC without EVENT_IDX", true, false, false, r -> {
            r.driverEvent(2, 0x8000);
            r.requests(1, false);
            r.awaitEvent(e -> e instanceof RingEvent.DriverSuppression s && s.flags() == 2);
        }));
        all.add(wrong("DRV-PACKED-031", "packed: driver area flags 3 (reserved mode)", true, false, false, r -> {
            r.driverEvent(3, 0);
            r.requests(1, false);
            r.awaitEvent(e -> e instanceof RingEvent.DriverSuppression s && s.flags() == 3);
        }));
        all.add(wrong("DRV-PACKED-032", "packed: driver area flags with bit 4 set (mode ENABLE)", true, false, false, r -> {
            r.driverEvent(0x10, 0);
            r.requests(1, false);
            r.awaitEvent(e -> e instanceof RingEvent.DriverSuppression s && s.flags() == 0x10);
        }));
        all.add(wrongSetUp("DRV-PACKED-001", "packed: descriptor ring 4 bytes past a 16-byte boundary", true,
                r -> r.startRefusedQueue(Q, RING + 4, DRIVER_AREA, DEVICE_AREA)));
        all.add(wrongSetUp("DRV-PACKED-002", "packed: driver event suppression area at an odd address", true,
                r -> r.startRefusedQueue(Q, RING, DRIVER_AREA + 2, DEVICE_AREA)));
    }

    /** Request 0 as a packed indirect table at {@link RingRig#TABLES}; {@code extraFlags} added to the header entry. */
    private static void packedTable(RingRig r, int extraFlags) {
        r.packedTableEntry(TABLES, 0, header(0), 16, extraFlags);
        r.packedTableEntry(TABLES, 1, data(0), SECTOR, P_WRITE);
        r.packedTableEntry(TABLES, 2, status(0), 1, P_WRITE);
    }

}
