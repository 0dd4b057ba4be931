package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The split-ring chain rules (PVKit spec §6.3) applied by hand to raw ring bytes, for the hostile-ring
 * properties: an oracle written apart from {@link SplitDeviceQueue}, so a queue that rejects a valid chain or
 * serves an invalid one disagrees with it.
 *
 * @param memory     guest memory as the guest wrote it
 * @param ring       the ring layout
 * @param indirectOk whether VIRTIO_F_INDIRECT_DESC was negotiated
 * @param policy     the queue's policy
 * @param usedStart  first byte the device writes (its used ring), for {@link ExpectedChain#uncertain}
 * @param usedEnd    end of what the device writes
 */
record SplitOracle(GuestMemory memory, SplitRing ring, boolean indirectOk, ValidationPolicy policy, long usedStart, long usedEnd) {

    /**
     * What the next poll must do from available index {@code next}: serve {@code served} (null: nothing) after
     * skipping {@code skipped}, or stop the queue with one of {@code breaks}; the device then stands at {@code after}.
     */
    record Poll(ExpectedChain served, List<ExpectedChain> skipped, Set<ChainRule> breaks, int after, boolean uncertain) {

        /** What the first available chain was: "nothing available", "valid" or "invalid". */
        String firstVerdict() {
            if (served == null && skipped.isEmpty() && breaks == null) return "nothing available";
            return served != null && skipped.isEmpty() ? "valid" : "invalid";
        }
    }

    Poll nextPoll(int next) {
        int q = ring.size();
        int availIdx = memory.readLe16(ring.availIdx()) & 0xffff;
        List<ExpectedChain> skipped = new ArrayList<>();
        boolean uncertain = false;
        int at = next;
        while (true) {
            int pending = (availIdx - at) & 0xffff;
            if (pending == 0) return new Poll(null, skipped, null, at, uncertain);
            if (pending > q) return new Poll(null, skipped, EnumSet.of(ChainRule.AVAIL_INDEX_JUMP), at, uncertain);
            int head = memory.readLe16(ring.availRing(at & (q - 1))) & 0xffff;
            at = (at + 1) & 0xffff;
            ExpectedChain c = chainAt(head);
            uncertain |= c.uncertain;
            if (c.valid()) return new Poll(c, skipped, null, at, uncertain);
            Reaction reaction = c.reaction();
            if (reaction == null) return new Poll(null, skipped, null, at, true);
            if (reaction == Reaction.NEEDS_RESET) return new Poll(null, skipped, c.fatal, at, uncertain);
            skipped.add(c);
        }
    }

    /** The chain whose head is descriptor {@code head}, as the rules judge it. */
    ExpectedChain chainAt(int head) {
        int q = ring.size();
        ExpectedChain c = new ExpectedChain(policy);
        c.id = head;
        if (head >= q) return c.stop(ChainRule.HEAD_OUT_OF_RANGE);
        int hard = Math.max(q, policy.hardChainLimit());
        boolean[] seen = new boolean[q];
        long table = ring.descriptors();
        long entries = q;
        boolean inTable = false;
        long tableSteps = 0;
        int i = head;
        int buffers = 0;
        while (true) {
            if (!inTable) {
                if (seen[i]) return c.stop(ChainRule.LOOP);
                seen[i] = true;
            } else if (++tableSteps > entries) {
                return c.stop(ChainRule.LOOP); // more steps than entries: some entry came twice
            }
            long d = table + 16L * i;
            long addr = memory.readLe64(d);
            long len = Integer.toUnsignedLong(memory.readLe32(d + 8));
            int flags = memory.readLe16(d + 12) & 0xffff;
            int next = memory.readLe16(d + 14) & 0xffff;
            Set<ChainRule> broken = EnumSet.noneOf(ChainRule.class);
            if ((flags & SplitRing.F_INDIRECT) != 0) {
                if (inTable) return c.stop(ChainRule.NESTED_INDIRECT);
                if (!indirectOk) broken.add(ChainRule.INDIRECT_NOT_NEGOTIATED);
                if ((flags & SplitRing.F_NEXT) != 0) broken.add(ChainRule.INDIRECT_WITH_NEXT);
                if (len == 0 || len % 16 != 0) broken.add(ChainRule.INDIRECT_BAD_LENGTH);
                if (!memory.contains(addr, len)) broken.add(ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY);
                if (!c.judge(broken)) return c;
                if (addr < usedEnd && addr + len > usedStart) c.uncertain = true;
                table = addr;
                entries = len / 16;
                inTable = true;
                i = 0;
                continue; // a table ends the chain: its entries link only among themselves
            }
            boolean deviceWritable = (flags & SplitRing.F_WRITE) != 0;
            if (++buffers > hard) return c.stop(ChainRule.CHAIN_TOO_LONG);
            if (buffers > q) broken.add(ChainRule.CHAIN_TOO_LONG);
            broken.addAll(c.bufferRules(memory, addr, len, deviceWritable, 1L << 32));
            boolean more = (flags & SplitRing.F_NEXT) != 0;
            if (more && next >= entries) broken.add(ChainRule.NEXT_OUT_OF_RANGE);
            if (!c.judge(broken)) return c;
            c.add(addr, len, deviceWritable);
            if (!more) return c;
            i = next;
        }
    }
}
