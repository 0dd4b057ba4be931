package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.EnumSet;
import java.util.Set;

/**
 * The packed-ring list rules (PVKit spec §7) applied by hand to raw ring bytes, for the hostile-ring properties:
 * an oracle written apart from {@link PackedDeviceQueue}.
 *
 * @param memory     guest memory as the guest wrote it
 * @param ring       the ring layout
 * @param indirectOk whether VIRTIO_F_INDIRECT_DESC was negotiated
 * @param policy     the queue's policy
 */
record PackedOracle(GuestMemory memory, PackedRing ring, boolean indirectOk, ValidationPolicy policy) {

    static final int AVAIL = 1 << 7;
    static final int USED = 1 << 15;

    /** Available in the lap with wrap value {@code wrap}: AVAIL equals it and USED does not. */
    static boolean available(int flags, boolean wrap) {
        return ((flags & AVAIL) != 0) == wrap && ((flags & USED) == 0) == wrap;
    }

    /**
     * The list starting at slot {@code pos} of the lap {@code wrap}, when the device holds no slot; null when that
     * slot is not available (nothing to take).
     */
    ExpectedChain listAt(int pos, boolean wrap) {
        int q = ring.size();
        if (!available(flags(pos), wrap)) return null;
        ExpectedChain c = new ExpectedChain(policy);
        int hard = Math.max(q, policy.hardChainLimit());
        int slot = pos;
        boolean lap = wrap;
        int slots = 0;
        int buffers = 0;
        int reads = 0;
        while (true) {
            Set<ChainRule> broken = EnumSet.noneOf(ChainRule.class);
            reads++;
            int flags = flags(slot);
            if (slots > 0 && !available(flags, lap)) {
                broken.add(ChainRule.LIST_NOT_AVAILABLE);
                if (!c.judge(broken)) return c;
                broken.clear();
            }
            long d = ring.desc(slot);
            long addr = memory.readLe64(d);
            long len = Integer.toUnsignedLong(memory.readLe32(d + 8));
            slots++;
            if ((flags & PackedRing.F_INDIRECT) != 0) {
                if (!indirectOk) broken.add(ChainRule.INDIRECT_NOT_NEGOTIATED);
                if ((flags & PackedRing.F_NEXT) != 0 || slots > 1) broken.add(ChainRule.INDIRECT_WITH_NEXT);
                if (len == 0 || len % 16 != 0) broken.add(ChainRule.INDIRECT_BAD_LENGTH);
                if (!memory.contains(addr, len)) broken.add(ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY);
                if (!c.judge(broken)) return c;
                for (long e = 0; e < len / 16; e++) {
                    Set<ChainRule> entry = EnumSet.noneOf(ChainRule.class);
                    reads++;
                    long t = addr + 16 * e;
                    long bAddr = memory.readLe64(t);
                    long bLen = Integer.toUnsignedLong(memory.readLe32(t + 8));
                    int bFlags = memory.readLe16(t + 14) & 0xffff;
                    if ((bFlags & ~PackedRing.F_WRITE) != 0) entry.add(ChainRule.INDIRECT_TABLE_FLAGS);
                    if (++buffers > hard || reads > hard + 1) return c.stop(ChainRule.CHAIN_TOO_LONG);
                    if (buffers > q) entry.add(ChainRule.CHAIN_TOO_LONG);
                    boolean w = (bFlags & PackedRing.F_WRITE) != 0;
                    entry.addAll(c.bufferRules(memory, bAddr, bLen, w, 0xffff_ffffL));
                    if (!c.judge(entry)) return c;
                    c.add(bAddr, bLen, w);
                }
            } else {
                if (++buffers > hard || reads > hard + 1) return c.stop(ChainRule.CHAIN_TOO_LONG);
                if (buffers > q) broken.add(ChainRule.CHAIN_TOO_LONG);
                boolean w = (flags & PackedRing.F_WRITE) != 0;
                broken.addAll(c.bufferRules(memory, addr, len, w, 0xffff_ffffL));
                if (!c.judge(broken)) return c;
                c.add(addr, len, w);
            }
            if ((flags & PackedRing.F_NEXT) == 0) break;
            if (slots >= q) return c.stop(ChainRule.CHAIN_TOO_LONG); // a list can never span more than the ring
            if (++slot == q) {
                slot = 0;
                lap = !lap;
            }
        }
        c.id = memory.readLe16(ring.descId(slot)) & 0xffff; // the buffer id sits in the last descriptor
        c.slots = slots;
        return c;
    }

    private int flags(int slot) {
        return memory.readLe16(ring.descFlags(slot)) & 0xffff;
    }
}
