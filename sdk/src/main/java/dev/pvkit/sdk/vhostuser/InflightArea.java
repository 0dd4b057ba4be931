package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.virtqueue.InflightTracker;
import dev.pvkit.sdk.virtqueue.PackedInflightTracker;
import dev.pvkit.sdk.virtqueue.PackedRing;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntUnaryOperator;

/**
 * The inflight area of vhost-user (GET/SET_INFLIGHT_FD): shared memory the front-end keeps across back-end
 * restarts, in which the back-end records every chain it took and has not returned. Its layout is the back-end's
 * own business (the front-end only keeps the fd); PVKit's is below. Little-endian throughout.
 *
 * <p>One region per queue, queue {@code i} at {@code i * queueBytes(queue_size)}, each
 * {@code ALIGN_UP(32 + 32 * queue_size, 64)} bytes so that either ring format fits (the size is fixed at
 * GET_INFLIGHT_FD, which may come before the features say which format the rings use).
 *
 * <p><b>Split ring</b> (vhost-user.rst's "Inflight I/O tracking" split layout): a 16-byte header (features u64,
 * version u16, desc_num u16, last_batch_head u16, used_idx u16), then one 16-byte state per descriptor (inflight
 * u8, 5 padding bytes, next u16, counter u64). The ring itself records which chains were completed.
 *
 * <p><b>Packed ring</b>: the device writes used descriptors into the ring slots the driver filled, at its used
 * position, so a later completion can overwrite the descriptors of a list still in flight; the region therefore
 * keeps a copy of every list in flight. A 32-byte header:
 * <pre>
 *   0  u64 features       0
 *   8  u16 version        1 (0 = not initialised)
 *  10  u16 desc_num       entries in the pool (= queue_size)
 *  12  u16 ring_size      size of the ring the record is for (0 until a packed queue starts)
 *  14  u16 reserved
 *  16  u64 position       bits 0-15: the used position in off_wrap form (slot bits 0-14, wrap counter bit 15);
 *                         bits 16-31: pending, bit 31 set while the used descriptor of the list whose head entry
 *                         is bits 16-30 is being written; bit 32: positions recorded. Always one 8-byte store.
 *  24  u64 reserved
 * </pre>
 * then {@code desc_num} 32-byte entries, a pool holding one descriptor each:
 * <pre>
 *   0  u8  inflight       head entry: 1 = a list in flight, 2 = a rejected list awaiting its empty used
 *                         descriptor (no descriptors kept); 0 otherwise
 *   1  u8  reserved
 *   2  u16 next           entry of the list's next descriptor
 *   4  u16 num            head: ring slots the list holds (= descriptors kept unless rejected)
 *   6  u16 slot           head: ring slot the list started at
 *   8  u64 counter        head: global take order
 *  16  u64 addr, 24 u32 len, 28 u16 id, 30 u16 flags: the ring descriptor as the device read it (id = buffer id)
 * </pre>
 * Taking a list fills free entries, links them, then sets the head's {@code inflight}. Before a used descriptor
 * is written the position word names the list as pending; after its flags are stored the head is cleared and the
 * word moves to the new used position. A restart resolves a pending list from the ring (the slot at the recorded
 * used position has its USED bit equal to the wrap counter once the descriptor was written, also after the
 * driver reused it), then resubmits the heads still marked, oldest counter first; the available position resumes
 * after all slots they hold. A front-end that resets the device fetches a fresh area [FE-VU-026].
 */
final class InflightArea implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InflightArea.class);
    static final int VERSION = 1;
    static final int HEADER = 16;
    static final int STATE = 16;
    static final int ALIGN = 64;

    private final MappedMemory area;
    private final int queues;
    private final int queueSize;
    /** Take order across all queues; queues served by different workers draw from it concurrently. */
    private final AtomicLong counter = new AtomicLong();

    /** {@code area} maps exactly the shared area; closing this unmaps it. */
    InflightArea(MappedMemory area, int queues, int queueSize) {
        this.area = area;
        this.queues = queues;
        this.queueSize = queueSize;
    }

    static final int PACKED_HEADER = 32;
    static final int PACKED_ENTRY = 32;

    /** One queue's region: room for the split or the packed layout, whichever the rings turn out to use. */
    static long queueBytes(int queueSize) {
        long raw = Math.max(HEADER + (long) STATE * queueSize, PACKED_HEADER + (long) PACKED_ENTRY * queueSize);
        return (raw + ALIGN - 1) / ALIGN * ALIGN;
    }

    static long bytes(int queues, int queueSize) {
        return queues * queueBytes(queueSize);
    }

    int queues() {
        return queues;
    }

    int queueSize() {
        return queueSize;
    }

    /** Writes fresh headers: version 1, no descriptor in flight. */
    void initialise() {
        for (int q = 0; q < queues; q++) {
            ByteBuffer b = area.chunkAt(0);
            int base = (int) (q * queueBytes(queueSize));
            for (int i = 0; i < queueBytes(queueSize); i++) b.put(base + i, (byte) 0);
            b.putShort(base + 8, (short) VERSION);
            b.putShort(base + 10, (short) queueSize);
        }
    }

    /** The tracker for queue {@code q}, or null when the area does not cover it (or has another queue size). */
    InflightTracker tracker(int q, int ringSize) {
        if (q >= queues || ringSize > queueSize) return null;
        return new QueueTracker((int) (q * queueBytes(queueSize)));
    }

    /** The packed-ring tracker for queue {@code q} of {@code ringSize} slots, or null when the area does not cover it. */
    PackedInflightTracker packedTracker(int q, int ringSize) {
        if (q >= queues || ringSize < 1 || ringSize > queueSize) return null;
        return new PackedQueueTracker((int) (q * queueBytes(queueSize)), ringSize);
    }

    private final class QueueTracker implements InflightTracker {
        private final int base;
        private final ByteBuffer b = area.chunkAt(0);

        QueueTracker(int base) {
            this.base = base;
        }

        private int state(int head) {
            return base + HEADER + STATE * head;
        }

        @Override
        public void taken(int head) {
            b.putLong(state(head) + 8, counter.incrementAndGet());
            b.put(state(head), (byte) 1);
        }

        @Override
        public void published(int[] heads, int count, int usedIdx) {
            for (int i = 0; i < count; i++) b.put(state(heads[i]), (byte) 0);
            b.putShort(base + 14, (short) usedIdx);
        }

        @Override
        public List<Integer> recover(int ringUsedIdx, IntUnaryOperator usedIdAt) {
            if ((b.getShort(base + 8) & 0xffff) != VERSION) { // never used: start clean
                b.putShort(base + 8, (short) VERSION);
                b.putShort(base + 10, (short) queueSize);
                b.putShort(base + 14, (short) ringUsedIdx);
                return List.of();
            }
            // Entries published before the crash but not yet cleared are completed: the used ring says which.
            int recorded = b.getShort(base + 14) & 0xffff;
            int published = (ringUsedIdx - recorded) & 0xffff;
            for (int i = 0; i < published && i < queueSize; i++) {
                int head = usedIdAt.applyAsInt(recorded + i);
                if (head >= 0 && head < queueSize) b.put(state(head), (byte) 0);
            }
            b.putShort(base + 14, (short) ringUsedIdx);
            List<long[]> pending = new ArrayList<>();
            for (int head = 0; head < queueSize; head++) {
                if (b.get(state(head)) == 1) pending.add(new long[]{head, b.getLong(state(head) + 8)});
            }
            pending.sort(Comparator.comparingLong(p -> p[1]));
            for (long[] p : pending) counter.accumulateAndGet(p[1], Math::max);
            return pending.stream().map(p -> (int) p[0]).toList();
        }
    }

    /** The packed layout of one queue's region (see the class comment). */
    private final class PackedQueueTracker implements PackedInflightTracker {
        private static final long RECORDED = 1L << 32;
        private static final long PENDING = 0x8000_0000L;

        private final int base;
        private final int ring;
        private final ByteBuffer b = area.chunkAt(0);
        private final int[] free;      // stack of free pool entries (this process's view; the area is the truth)
        private int freeCount;
        private final int[][] lists;   // per head entry: the entries of its list, in order

        PackedQueueTracker(int base, int ring) {
            this.base = base;
            this.ring = ring;
            this.free = new int[ring];
            this.lists = new int[ring][];
        }

        private int entry(int e) {
            return base + PACKED_HEADER + PACKED_ENTRY * e;
        }

        private void position(int usedOffWrap, int pendingHead) {
            long word = RECORDED | (usedOffWrap & 0xffff) | (pendingHead >= 0 ? PENDING | (long) pendingHead << 16 : 0);
            b.putLong(base + 16, word);
        }

        /** A fresh record for this ring at {@code usedOffWrap}: no list in flight. */
        private void fresh(int usedOffWrap) {
            java.util.Arrays.fill(lists, null);
            for (int e = 0; e < queueSize; e++) b.put(entry(e), (byte) 0);
            b.putLong(base, 0);
            b.putShort(base + 8, (short) VERSION);
            b.putShort(base + 10, (short) queueSize);
            b.putShort(base + 12, (short) ring);
            VarHandle.storeStoreFence();
            position(usedOffWrap, -1);
            rebuildPool();
        }

        /** The free entries: every one no recorded list holds. */
        private void rebuildPool() {
            boolean[] used = new boolean[ring];
            for (int[] list : lists) {
                if (list != null) for (int e : list) used[e] = true;
            }
            freeCount = 0;
            for (int e = ring - 1; e >= 0; e--) if (!used[e]) free[freeCount++] = e;
        }

        private boolean recorded() {
            return (b.getShort(base + 8) & 0xffff) == VERSION && (b.getShort(base + 10) & 0xffff) == queueSize
                    && (b.getShort(base + 12) & 0xffff) == ring && (b.getLong(base + 16) & RECORDED) != 0
                    && (b.getLong(base + 16) & 0x7fff) < ring;
        }

        @Override
        public Recovery recover(int usedOffWrap, IntUnaryOperator flagsAt) {
            java.util.Arrays.fill(lists, null);
            if (!recorded()) {
                fresh(usedOffWrap);
                return null;
            }
            long word = b.getLong(base + 16);
            int used = (int) (word & 0xffff);
            if ((word & PENDING) != 0) {
                // A crash while a used descriptor was being written: the ring says whether it got there.
                int head = (int) ((word >>> 16) & 0x7fff);
                int num = head < ring ? b.getShort(entry(head) + 4) & 0xffff : 0;
                int slot = used & 0x7fff;
                boolean wrap = (used & 0x8000) != 0;
                boolean written = ((flagsAt.applyAsInt(slot) & PackedRing.F_USED) != 0) == wrap;
                if (written && num >= 1 && num <= ring) {
                    b.put(entry(head), (byte) 0);
                    slot += num;
                    if (slot >= ring) {
                        slot -= ring;
                        wrap = !wrap;
                    }
                    used = PackedRing.offWrap(slot, wrap);
                }
                VarHandle.storeStoreFence();
                position(used, -1);
            }
            // Heads still marked, with their entries; anything inconsistent is dropped, never followed further.
            List<long[]> heads = new ArrayList<>();
            for (int e = 0; e < ring; e++) {
                int mark = b.get(entry(e));
                if (mark == 1 || mark == 2) heads.add(new long[]{e, b.getLong(entry(e) + 8)});
            }
            heads.sort(Comparator.comparingLong(h -> h[1]));
            boolean[] taken = new boolean[ring];
            int held = 0;
            List<Entry> pending = new ArrayList<>();
            for (long[] h : heads) {
                int head = (int) h[0];
                counter.accumulateAndGet(h[1], Math::max);
                Entry entry = read(head, taken, ring - held);
                if (entry == null) {
                    LOG.warn("inflight area: packed list at entry {} is inconsistent; dropped", head);
                    b.put(entry(head), (byte) 0);
                    continue;
                }
                held += entry.slots();
                pending.add(entry);
            }
            rebuildPool();
            return new Recovery(used, pending);
        }

        /** The list at {@code head}, marking its entries in {@code taken}; null when it is not consistent. */
        private Entry read(int head, boolean[] taken, int slotsLeft) {
            int at = entry(head);
            boolean skipped = b.get(at) == 2;
            int num = b.getShort(at + 4) & 0xffff;
            int slot = b.getShort(at + 6) & 0x7fff;
            int id = b.getShort(at + 28) & 0xffff;
            if (num < 1 || num > slotsLeft || slot >= ring || taken[head]) return null;
            if (skipped) {
                taken[head] = true;
                lists[head] = new int[]{head};
                return new Entry(head, slot, num, id, true, null, null, null);
            }
            int[] entries = new int[num];
            long[] addr = new long[num];
            int[] len = new int[num];
            int[] flags = new int[num];
            int e = head;
            for (int i = 0; i < num; i++) {
                if (e >= ring || taken[e]) {
                    for (int k = 0; k < i; k++) taken[entries[k]] = false;
                    return null;
                }
                taken[e] = true;
                entries[i] = e;
                int d = entry(e);
                addr[i] = b.getLong(d + 16);
                len[i] = b.getInt(d + 24);
                flags[i] = b.getShort(d + 30) & 0xffff;
                e = b.getShort(d + 2) & 0xffff;
            }
            lists[head] = entries;
            return new Entry(head, slot, num, id, false, addr, len, flags);
        }

        @Override
        public void attach(int usedOffWrap) {
            if (!recorded()) {
                fresh(usedOffWrap);
                return;
            }
            // Lists the record still holds stay recorded (a later recovery resubmits them); their entries stay taken.
            java.util.Arrays.fill(lists, null);
            boolean[] taken = new boolean[ring];
            int held = 0;
            for (int e = 0; e < ring; e++) {
                int mark = b.get(entry(e));
                if (mark != 1 && mark != 2) continue;
                Entry entry = read(e, taken, ring - held);
                if (entry == null) b.put(entry(e), (byte) 0);
                else held += entry.slots();
            }
            position(usedOffWrap, -1);
            rebuildPool();
        }

        @Override
        public int taken(int slot, int slots, int id, long[] addr, int[] len, int[] flags) {
            if (slots < 1 || slots > freeCount) {
                LOG.warn("inflight area: no room to record a list of {} descriptors; it is not tracked", slots);
                return -1;
            }
            int[] entries = new int[slots];
            for (int i = 0; i < slots; i++) entries[i] = free[--freeCount];
            long count = counter.incrementAndGet();
            for (int i = 0; i < slots; i++) {
                int d = entry(entries[i]);
                b.put(d, (byte) 0);
                b.put(d + 1, (byte) 0);
                b.putShort(d + 2, (short) (i + 1 < slots ? entries[i + 1] : 0));
                b.putShort(d + 4, (short) (i == 0 ? slots : 0));
                b.putShort(d + 6, (short) (i == 0 ? slot : 0));
                b.putLong(d + 8, i == 0 ? count : 0);
                b.putLong(d + 16, addr[i]);
                b.putInt(d + 24, len[i]);
                b.putShort(d + 28, (short) id);
                b.putShort(d + 30, (short) flags[i]);
            }
            VarHandle.storeStoreFence(); // the copy is complete before the head says so
            b.put(entry(entries[0]), (byte) 1);
            lists[entries[0]] = entries;
            return entries[0];
        }

        @Override
        public int skipped(int slot, int slots, int id) {
            if (freeCount == 0) return -1;
            int head = free[--freeCount];
            int d = entry(head);
            b.putLong(d, 0);
            b.putShort(d + 4, (short) slots);
            b.putShort(d + 6, (short) slot);
            b.putLong(d + 8, counter.incrementAndGet());
            b.putLong(d + 16, 0);
            b.putLong(d + 24, 0);
            b.putShort(d + 28, (short) id);
            VarHandle.storeStoreFence();
            b.put(d, (byte) 2);
            lists[head] = new int[]{head};
            return head;
        }

        @Override
        public void completing(int handle, int usedOffWrap) {
            if (!recordedList(handle)) return;
            position(usedOffWrap, handle);
            VarHandle.storeStoreFence(); // named as pending before the used descriptor can appear
        }

        @Override
        public void completed(int handle, int usedOffWrap) {
            VarHandle.storeStoreFence(); // after the used flags
            if (recordedList(handle)) {
                b.put(entry(handle), (byte) 0);
                VarHandle.storeStoreFence();
            }
            position(usedOffWrap, -1);
            if (recordedList(handle)) {
                for (int e : lists[handle]) free[freeCount++] = e;
                lists[handle] = null;
            }
        }

        private boolean recordedList(int handle) {
            return handle >= 0 && handle < ring && lists[handle] != null;
        }
    }

    @Override
    public void close() {
        area.close();
    }
}
