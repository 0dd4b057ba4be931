package dev.pvkit.sdk.virtqueue.driver;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.SplitRing;

/**
 * Puts arbitrary values into ring structures, with none of a driver's rules: how tests build the broken rings a
 * hostile or buggy guest would. Field offsets follow the spec's layouts; values are not checked.
 */
public final class RawRingWriter {
    private final GuestMemory memory;

    public RawRingWriter(GuestMemory memory) {
        this.memory = memory;
    }

    /** A split-format descriptor (ring table or indirect table entry) at {@code at}. */
    public RawRingWriter splitDescriptorAt(long at, long addr, int len, int flags, int next) {
        memory.writeLe64(at, addr);
        memory.writeLe32(at + 8, len);
        memory.writeLe16(at + 12, (short) flags);
        memory.writeLe16(at + 14, (short) next);
        return this;
    }

    public RawRingWriter splitDescriptor(SplitRing ring, int index, long addr, int len, int flags, int next) {
        return splitDescriptorAt(ring.desc(index), addr, len, flags, next);
    }

    /** A packed-format descriptor (ring slot or indirect table entry) at {@code at}. */
    public RawRingWriter packedDescriptorAt(long at, long addr, int len, int id, int flags) {
        memory.writeLe64(at, addr);
        memory.writeLe32(at + 8, len);
        memory.writeLe16(at + 12, (short) id);
        memory.writeLe16(at + 14, (short) flags);
        return this;
    }

    public RawRingWriter availFlags(SplitRing ring, int flags) {
        memory.writeLe16(ring.availFlags(), (short) flags);
        return this;
    }

    public RawRingWriter availIdx(SplitRing ring, int idx) {
        memory.writeLe16Release(ring.availIdx(), (short) idx);
        return this;
    }

    public RawRingWriter availEntry(SplitRing ring, int slot, int head) {
        memory.writeLe16(ring.availRing(slot), (short) head);
        return this;
    }

    public RawRingWriter usedEvent(SplitRing ring, int value) {
        memory.writeLe16(ring.usedEvent(), (short) value);
        return this;
    }

    /** Any bytes anywhere in guest memory. */
    public RawRingWriter bytes(long at, byte[] data) {
        memory.write(at, data, 0, data.length);
        return this;
    }
}
