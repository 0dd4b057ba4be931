package dev.pvkit.sdk.virtqueue.driver;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.Segment;

import java.util.List;

/**
 * A packed-ring driver (PVKit spec §7) over guest memory, as a well-behaved guest driver would do it: buffer ids
 * from a free list (sequential under IN_ORDER), chained lists or indirect tables, the first descriptor's flags
 * stored last with release, notification suppression through the event structures (DESC mode under EVENT_IDX).
 * It checks what the device returns (outstanding id, length within the buffer's writable bytes) and throws
 * {@link IllegalStateException} when a device breaks the rules. It does not accept IN_ORDER batching (one used
 * descriptor for several buffers): every buffer must come back with its own used descriptor.
 */
public final class PackedDriverQueue implements DriverQueue {

    private final GuestMemory memory;
    private final PackedRing ring;
    private final int q;
    private final boolean eventIdx;
    private final boolean inOrder;
    private final IndirectArea indirectArea;

    private final int[] freeIds; // FIFO of free buffer ids
    private int freeHeadAt;
    private int freeCount;
    private int inOrderNext;
    private final int[] chainSlots;     // per id: ring slots the buffer holds (0 = not outstanding)
    private final long[] chainWritable; // per id: writable bytes, to check used lengths

    private int availPos;
    private boolean availWrap;
    private int usedPos;
    private boolean usedWrap;
    private int freeSlots;
    private int postedSincePublish;
    private int outstanding;
    private boolean interruptsWanted = true;

    /**
     * Lays out an empty ring whose driver and device both stand at slot {@code startPosition} of the lap with
     * wrap value {@code startWrap}: slots before it carry this lap's used flags, the others the previous lap's
     * (all zero for the initial position 0, wrap 1). A non-zero start plays a driver resuming after migration.
     */
    public PackedDriverQueue(GuestMemory memory, PackedRing ring, long features, IndirectArea indirectArea,
                             int startPosition, boolean startWrap) {
        if (startPosition < 0 || startPosition >= ring.size()) {
            throw new IllegalArgumentException("start position " + startPosition + " outside 0.." + (ring.size() - 1));
        }
        this.memory = memory;
        this.ring = ring;
        this.q = ring.size();
        this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX);
        this.inOrder = VirtioFeatures.has(features, VirtioFeatures.IN_ORDER);
        this.indirectArea = indirectArea;
        this.freeIds = new int[q];
        for (int i = 0; i < q; i++) freeIds[i] = i;
        this.freeCount = q;
        this.chainSlots = new int[q];
        this.chainWritable = new long[q];
        memory.fill(ring.descriptors(), PackedRing.ringBytes(q), (byte) 0);
        for (int i = 0; i < q; i++) {
            int bits = DriverRingRules.packedUsedFlags(i < startPosition ? startWrap : !startWrap);
            if (bits != 0) memory.writeLe16(ring.descFlags(i), (short) bits);
        }
        memory.fill(ring.driverEvent(), PackedRing.EVENT_BYTES, (byte) 0);
        memory.fill(ring.deviceEvent(), PackedRing.EVENT_BYTES, (byte) 0);
        this.availPos = startPosition;
        this.availWrap = startWrap;
        this.usedPos = startPosition;
        this.usedWrap = startWrap;
        this.freeSlots = q;
        this.inOrderNext = 0;
        writeDriverEvent();
    }

    @Override
    public int size() {
        return q;
    }

    @Override
    public boolean canPost(int readable, int writable, boolean indirect) {
        int n = readable + writable;
        if (n < 1 || freeCount == 0) return false;
        // A table's entries count towards the list length, which may not exceed the queue size [DRV-PACKED-008].
        if (indirect) return n <= Math.min(indirectArea.entriesPerTable(), q) && indirectArea != IndirectArea.NONE && freeSlots >= 1;
        return n <= freeSlots;
    }

    @Override
    public int post(List<Segment> readable, List<Segment> writable, boolean indirect) {
        int n = readable.size() + writable.size();
        if (!canPost(readable.size(), writable.size(), indirect)) {
            throw new IllegalStateException("no room for a buffer of " + n + (indirect ? " (indirect)" : "") + "; "
                    + freeSlots + " free slots, " + freeCount + " free ids");
        }
        int r = readable.size();
        int id = allocateId();
        long writableBytes = 0;
        int headFlags;
        int headLen = 0;
        int head = availPos;
        if (indirect) {
            long table = indirectArea.table(id);
            for (int i = 0; i < n; i++) {
                // Inside a table only WRITE means anything; id is ignored there.
                writeBody(table + 16L * i, segment(readable, writable, i), 0);
                memory.writeLe16(table + 16L * i + 14, (short) (i >= r ? PackedRing.F_WRITE : 0));
            }
            for (int i = 0; i < writable.size(); i++) writableBytes += writable.get(i).unsignedLength();
            memory.writeLe64(ring.desc(head), table);
            headLen = 16 * n;
            headFlags = PackedRing.F_INDIRECT | DriverRingRules.packedAvailFlags(availWrap);
            step();
        } else {
            headFlags = 0;
            // The position in locals, stored back once: the loop's stores into guest memory would otherwise make
            // the compiled code reload and store the fields around each of them.
            int pos = availPos;
            boolean wrap = availWrap;
            for (int i = 0; i < n; i++) {
                boolean deviceWrites = i >= r;
                Segment s = deviceWrites ? writable.get(i - r) : readable.get(i);
                if (deviceWrites) writableBytes += s.unsignedLength();
                int flags = (i < n - 1 ? PackedRing.F_NEXT : 0) | (deviceWrites ? PackedRing.F_WRITE : 0)
                        | DriverRingRules.packedAvailFlags(wrap);
                long at = ring.desc(pos);
                memory.writeLe64(at, s.address()); // the head's len, id and flags go last, below
                if (i == 0) {
                    headLen = s.length();
                    headFlags = flags;
                } else {
                    // Not yet the device's (the head's flags hand the list over): len, id and flags, adjacent
                    // little-endian fields, in one store.
                    memory.writeLe64(at + 8, Integer.toUnsignedLong(s.length()) | (long) (id & 0xffff) << 32
                            | (long) (flags & 0xffff) << 48);
                }
                if (++pos == q) {
                    pos = 0;
                    wrap = !wrap;
                }
            }
            availPos = pos;
            availWrap = wrap;
        }
        // The head's flags hand the whole list over: every later descriptor must be visible first. Its len, id and
        // flags go in one release store, so the flags are never seen without the len and id.
        memory.writeLe64Release(ring.descLen(head), Integer.toUnsignedLong(headLen) | (long) (id & 0xffff) << 32
                | (long) (headFlags & 0xffff) << 48);
        int slots = indirect ? 1 : n;
        chainSlots[id] = slots;
        chainWritable[id] = writableBytes;
        freeSlots -= slots;
        postedSincePublish += slots;
        outstanding++;
        return id;
    }

    /** Buffer {@code i} of the list: the readable ones, then the writable ones (no joined list per post). */
    private static Segment segment(List<Segment> readable, List<Segment> writable, int i) {
        return i < readable.size() ? readable.get(i) : writable.get(i - readable.size());
    }

    private void writeBody(long at, Segment s, int id) {
        memory.writeLe64(at, s.address());
        memory.writeLe32(at + 8, s.length());
        memory.writeLe16(at + 12, (short) id);
    }

    private void step() {
        if (++availPos == q) {
            availPos = 0;
            availWrap = !availWrap;
        }
    }

    // Positions in the id FIFO wrap by comparison, not %: packed sizes need not be powers of two, and a division
    // per post and per reap showed in the ring benchmark.
    private int allocateId() {
        freeCount--;
        if (inOrder) {
            int id = inOrderNext;
            inOrderNext = inOrderNext + 1 == q ? 0 : inOrderNext + 1;
            return id;
        }
        int id = freeIds[freeHeadAt];
        freeHeadAt = freeHeadAt + 1 == q ? 0 : freeHeadAt + 1;
        return id;
    }

    private void releaseId(int id) {
        freeSlots += chainSlots[id];
        chainSlots[id] = 0;
        if (!inOrder) {
            int tail = freeHeadAt + freeCount; // both below q
            freeIds[tail >= q ? tail - q : tail] = id;
        }
        freeCount++;
    }

    @Override
    public boolean publish() {
        if (postedSincePublish == 0) return false;
        int posted = postedSincePublish;
        postedSincePublish = 0;
        GuestMemory.fullFence();
        int event = memory.readLe32(ring.deviceEvent());
        return switch ((event >>> 16) & 3) {
            case PackedRing.EVENT_DISABLE -> false;
            case PackedRing.EVENT_DESC -> !eventIdx || DriverRingRules.packedNotify(event & 0xffff, q, availPos, availWrap, posted);
            default -> true;
        };
    }

    @Override
    public int reap(UsedSink sink) {
        int reaped = 0;
        while (true) {
            // len, id and flags in one acquire load: used flags come with the len and id the device stored before them.
            long lenIdFlags = memory.readLe64Acquire(ring.descLen(usedPos));
            int flags = (int) (lenIdFlags >>> 48);
            if (!DriverRingRules.packedIsUsed(flags, usedWrap)) break;
            if (outstanding == 0) {
                throw new IllegalStateException("device marked slot " + usedPos + " used while no buffer is outstanding");
            }
            int id = (int) (lenIdFlags >>> 32) & 0xffff;
            long len = lenIdFlags & 0xffff_ffffL;
            if (id >= q || chainSlots[id] == 0) {
                throw new IllegalStateException("device returned buffer id " + id + " in slot " + usedPos
                        + ", which is not an outstanding buffer");
            }
            boolean wrote = (flags & PackedRing.F_WRITE) != 0;
            if (wrote && len > chainWritable[id]) {
                throw new IllegalStateException("device reported " + len + " bytes written into buffer " + id
                        + " which has only " + chainWritable[id] + " writable bytes");
            }
            usedPos += chainSlots[id];
            if (usedPos >= q) {
                usedPos -= q;
                usedWrap = !usedWrap;
            }
            releaseId(id);
            outstanding--;
            reaped++;
            sink.used(id, wrote ? len : 0); // without WRITE, len is reserved
        }
        if (eventIdx && interruptsWanted) writeDriverEvent();
        return reaped;
    }

    @Override
    public int outstanding() {
        return outstanding;
    }

    @Override
    public void setInterruptsWanted(boolean wanted) {
        interruptsWanted = wanted;
        writeDriverEvent();
    }

    /** DISABLE, ENABLE, or under EVENT_IDX a DESC event at the slot where the next used descriptor will land. */
    private void writeDriverEvent() {
        int value;
        if (!interruptsWanted) value = PackedRing.event(PackedRing.EVENT_DISABLE, 0);
        else if (eventIdx) value = PackedRing.event(PackedRing.EVENT_DESC, PackedRing.offWrap(usedPos, usedWrap));
        else value = PackedRing.event(PackedRing.EVENT_ENABLE, 0);
        memory.writeLe32(ring.driverEvent(), value);
    }

    /** Positions in vhost-user's packed base encoding (what a device resumes from after a reconnect). */
    public long base() {
        return PackedRing.offWrap(availPos, availWrap) | (long) PackedRing.offWrap(usedPos, usedWrap) << 16;
    }
}
