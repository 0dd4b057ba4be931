package dev.pvkit.sdk.virtqueue.driver;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.SplitRing;

import java.util.List;

/**
 * A split-ring driver (PVKit spec §6) over guest memory, as a well-behaved guest driver would do it: free-list
 * descriptor allocation (sequential under IN_ORDER), optional indirect tables, batched publication with a
 * release store of {@code avail.idx}, EVENT_IDX or flag-based notification suppression. It checks what the
 * device returns (known id, length within the chain's writable bytes) and throws
 * {@link IllegalStateException} when a device breaks the rules.
 */
public final class SplitDriverQueue implements DriverQueue {

    private final GuestMemory memory;
    private final SplitRing ring;
    private final int mask;
    private final boolean eventIdx;
    private final boolean inOrder;
    private final IndirectArea indirectArea;

    private final int[] nextFree;
    private int freeHead;
    private int numFree;
    private int inOrderNext;
    private final int[] chainDescriptors; // per head: ring descriptors the chain holds (0 = not outstanding)
    private final long[] chainWritable;   // per head: writable bytes, to check used lengths
    private final int[] shadowNext;       // our copy of each descriptor's next link

    private int availShadow;
    private int publishedAvail;
    private int lastUsed;
    private int outstanding;
    private boolean interruptsWanted = true;

    /**
     * Lays out an empty ring: available and used rings zeroed with both indices at {@code startIndex} (a
     * non-zero start plays a driver resuming after migration, and exercises index wrap-around early).
     */
    public SplitDriverQueue(GuestMemory memory, SplitRing ring, long features, IndirectArea indirectArea, int startIndex) {
        this.memory = memory;
        this.ring = ring;
        this.mask = ring.size() - 1;
        this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX);
        this.inOrder = VirtioFeatures.has(features, VirtioFeatures.IN_ORDER);
        this.indirectArea = indirectArea;
        int q = ring.size();
        this.nextFree = new int[q];
        for (int i = 0; i < q; i++) nextFree[i] = i + 1;
        this.numFree = q;
        this.chainDescriptors = new int[q];
        this.chainWritable = new long[q];
        this.shadowNext = new int[q];
        memory.fill(ring.descriptors(), SplitRing.descTableBytes(q), (byte) 0);
        memory.fill(ring.avail(), SplitRing.availBytes(q), (byte) 0);
        memory.fill(ring.used(), SplitRing.usedBytes(q), (byte) 0);
        int start = startIndex & 0xffff;
        memory.writeLe16(ring.availIdx(), (short) start);
        memory.writeLe16(ring.usedIdx(), (short) start);
        memory.writeLe16(ring.usedEvent(), (short) start);
        this.availShadow = start;
        this.publishedAvail = start;
        this.lastUsed = start;
        this.inOrderNext = start & mask;
    }

    @Override
    public int size() {
        return ring.size();
    }

    @Override
    public boolean canPost(int readable, int writable, boolean indirect) {
        int n = readable + writable;
        if (n < 1) return false;
        // An indirect table counts towards the chain length, which may not exceed the queue size [DRV-SPLIT-014].
        if (indirect) return n <= Math.min(indirectArea.entriesPerTable(), ring.size()) && indirectArea != IndirectArea.NONE && numFree >= 1;
        return n <= numFree;
    }

    @Override
    public int post(List<Segment> readable, List<Segment> writable, boolean indirect) {
        int n = readable.size() + writable.size();
        if (!canPost(readable.size(), writable.size(), indirect)) {
            throw new IllegalStateException("no room for a chain of " + n + (indirect ? " (indirect)" : "") + "; " + numFree + " free");
        }
        int r = readable.size();
        int ringDescriptors = indirect ? 1 : n;
        long writableBytes = 0;
        for (int i = 0; i < writable.size(); i++) writableBytes += writable.get(i).unsignedLength();
        // Descriptors are taken one at a time as the chain is written, in the order the free list (or the ring,
        // under IN_ORDER) gives them: posting makes no id array and no joined segment list.
        int head = take();
        if (indirect) {
            long table = indirectArea.table(head);
            for (int i = 0; i < n; i++) {
                int flags = (i < n - 1 ? SplitRing.F_NEXT : 0) | (i >= r ? SplitRing.F_WRITE : 0);
                Segment s = i < r ? readable.get(i) : writable.get(i - r);
                writeDescriptor(table + 16L * i, s.address(), s.length(), flags, i + 1 < n ? i + 1 : 0);
            }
            writeDescriptor(ring.desc(head), table, 16 * n, SplitRing.F_INDIRECT, 0);
        } else {
            int id = head;
            for (int i = 0; i < n; i++) {
                int flags = (i < n - 1 ? SplitRing.F_NEXT : 0) | (i >= r ? SplitRing.F_WRITE : 0);
                int next = i + 1 < n ? take() : 0;
                Segment s = i < r ? readable.get(i) : writable.get(i - r);
                writeDescriptor(ring.desc(id), s.address(), s.length(), flags, next);
                shadowNext[id] = next;
                id = next;
            }
        }
        chainDescriptors[head] = ringDescriptors;
        chainWritable[head] = writableBytes;
        memory.writeLe16(ring.availRing(availShadow & mask), (short) head);
        availShadow = (availShadow + 1) & 0xffff;
        outstanding++;
        return head;
    }

    private void writeDescriptor(long at, long address, int length, int flags, int next) {
        memory.writeLe64(at, address);
        // Length, flags and next are adjacent little-endian fields: one store writes all three.
        memory.writeLe64(at + 8, Integer.toUnsignedLong(length) | (long) (flags & 0xffff) << 32 | (long) (next & 0xffff) << 48);
    }

    /** Takes one descriptor: the next in ring order under IN_ORDER, else the free list's head. */
    private int take() {
        int id;
        if (inOrder) {
            id = inOrderNext;
            inOrderNext = (inOrderNext + 1) & mask;
        } else {
            id = freeHead;
            freeHead = nextFree[freeHead];
        }
        numFree--;
        return id;
    }

    private void release(int head) {
        int n = chainDescriptors[head];
        chainDescriptors[head] = 0;
        numFree += n;
        if (inOrder) return;
        // Walk our own copy of the links: the descriptor table is shared memory and not to be trusted back. The
        // chain goes back onto the free list as it was, in front of what was free.
        int d = head;
        for (int i = 0; i < n - 1; i++) {
            nextFree[d] = shadowNext[d];
            d = shadowNext[d];
        }
        nextFree[d] = freeHead;
        freeHead = head;
    }

    @Override
    public boolean publish() {
        if (availShadow == publishedAvail) return false;
        int old = publishedAvail;
        memory.writeLe16Release(ring.availIdx(), (short) availShadow);
        publishedAvail = availShadow;
        GuestMemory.fullFence();
        if (eventIdx) {
            return DriverRingRules.splitNotify(memory.readLe16(ring.availEvent()) & 0xffff, availShadow, old);
        }
        return (memory.readLe16(ring.usedFlags()) & SplitRing.USED_F_NO_NOTIFY) == 0;
    }

    @Override
    public int reap(UsedSink sink) {
        int usedIdx = memory.readLe16Acquire(ring.usedIdx()) & 0xffff;
        int pending = (usedIdx - lastUsed) & 0xffff;
        if (pending > outstanding) {
            throw new IllegalStateException("device moved used.idx " + pending + " entries but only " + outstanding + " chains are outstanding");
        }
        while (lastUsed != usedIdx) {
            long elem = ring.usedRing(lastUsed & mask);
            long e = memory.readLe64(elem); // id then len, adjacent little-endian fields: one load
            int id = (int) e;
            long len = e >>> 32;
            if (id < 0 || id >= ring.size() || chainDescriptors[id] == 0) {
                throw new IllegalStateException("device returned id " + id + ", which is not an outstanding chain");
            }
            if (len > chainWritable[id]) {
                throw new IllegalStateException("device reported " + len + " bytes written into chain " + id
                        + " which has only " + chainWritable[id] + " writable bytes");
            }
            release(id);
            outstanding--;
            lastUsed = (lastUsed + 1) & 0xffff;
            sink.used(id, len);
        }
        if (eventIdx && interruptsWanted) memory.writeLe16(ring.usedEvent(), (short) lastUsed);
        return pending;
    }

    @Override
    public int outstanding() {
        return outstanding;
    }

    @Override
    public void setInterruptsWanted(boolean wanted) {
        interruptsWanted = wanted;
        if (eventIdx) {
            // Far from the live window: no used index reaches it before the driver re-enables.
            memory.writeLe16(ring.usedEvent(), (short) (wanted ? lastUsed : lastUsed + 0x8000));
        } else {
            memory.writeLe16(ring.availFlags(), (short) (wanted ? 0 : SplitRing.AVAIL_F_NO_INTERRUPT));
        }
    }

    /** The available index published so far (what a device resumes from after a reconnect). */
    public int publishedAvailIndex() {
        return publishedAvail;
    }
}
