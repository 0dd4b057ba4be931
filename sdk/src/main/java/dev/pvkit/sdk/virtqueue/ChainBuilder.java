package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Collects one chain's buffers while a ring-specific walker reads its descriptors, and applies the rules that
 * are the same for both formats: buffers inside guest memory, readable before writable, total length. A rule
 * broken under {@link Reaction#TOLERATE} is recorded on the chain; otherwise the walk stops with the error.
 */
final class ChainBuilder {
    private final GuestMemory memory;
    private final ValidationPolicy policy;
    private final int queue;
    private final boolean packed;
    private final long maxTotal;

    private int head;
    /**
     * Scratch space reused for every chain: its buffers as (address, length) pairs in chain order. A correct chain
     * has its readable buffers first, so {@link #build} keeps the chain's array with one copy of this one; only a
     * tolerated readable-after-writable chain is sorted into readable and writable there.
     */
    private long[] pairs = new long[16];
    /** Per buffer in {@link #pairs}: whether it is device-writable (read only to sort a mixed chain). */
    private boolean[] writableAt = new boolean[8];
    private int readableCount;
    private int writableCount;
    /** A readable buffer came after a writable one (tolerated): the pairs are not in the chain's order. */
    private boolean mixed;
    private long readableBytes;
    private long writableBytes;
    private boolean seenWritable;
    private List<ChainError> tolerated = List.of();

    ChainBuilder(GuestMemory memory, ValidationPolicy policy, int queue, boolean packed) {
        this.memory = memory;
        this.policy = policy;
        this.queue = queue;
        this.packed = packed;
        // Split rings allow a chain of exactly 2^32 bytes (its completion then reports 2^32 - 1, see
        // SplitDeviceQueue.writeUsed); packed lists are held to 2^32 - 1, what a used descriptor can report.
        this.maxTotal = packed ? 0xffff_ffffL : 0x1_0000_0000L;
    }

    void start(int chainHead) {
        head = chainHead;
        readableCount = 0;
        writableCount = 0;
        readableBytes = 0;
        writableBytes = 0;
        seenWritable = false;
        mixed = false;
        // Only when needed: a reference store into this long-lived builder costs a collector barrier.
        if (!tolerated.isEmpty()) tolerated = List.of();
    }

    /** Adds one buffer; returns the error that stops the walk, or null. */
    ChainError buffer(int descriptor, boolean inIndirect, long address, int length, int flags, boolean deviceWritable) {
        long len = Integer.toUnsignedLong(length);
        // No exemption for zero length: an empty buffer is kept in the scatter list (handlers see the chain as
        // posted), so its address must be guest memory like any other (GuestMemory.contains of an empty range).
        if (!memory.contains(address, len)) {
            return error(ChainRule.BUFFER_OUTSIDE_MEMORY, descriptor, inIndirect, address, len, flags,
                    "buffer is not inside guest memory");
        }
        if (readableBytes + writableBytes + len > maxTotal) {
            return error(ChainRule.TOTAL_LENGTH_OVERFLOW, descriptor, inIndirect, address, len, flags,
                    "chain length exceeds " + maxTotal + " bytes");
        }
        if (deviceWritable) {
            seenWritable = true;
            writableCount++;
            writableBytes += len;
        } else {
            if (seenWritable) {
                ChainError e = violation(ChainRule.READABLE_AFTER_WRITABLE, descriptor, inIndirect, address, len, flags,
                        "device-readable buffer after a device-writable one");
                if (e != null) return e;
                mixed = true;
            }
            readableCount++;
            readableBytes += len;
        }
        int i = readableCount + writableCount - 1;
        if (i == writableAt.length) {
            pairs = Arrays.copyOf(pairs, 4 * i);
            writableAt = Arrays.copyOf(writableAt, 2 * i);
        }
        pairs[2 * i] = address;
        pairs[2 * i + 1] = len;
        writableAt[i] = deviceWritable;
        return null;
    }

    /** A broken rule: recorded when the policy tolerates it (returns null), else returned as the stopping error. */
    ChainError violation(ChainRule rule, int descriptor, boolean inIndirect, long address, long length, int flags,
                         String detail) {
        ChainError e = error(rule, descriptor, inIndirect, address, length, flags, detail);
        if (rule.tolerable() && policy.reaction(rule) == Reaction.TOLERATE) {
            if (tolerated.isEmpty()) tolerated = new ArrayList<>(1);
            tolerated.add(e);
            return null;
        }
        return e;
    }

    ChainError error(ChainRule rule, int descriptor, boolean inIndirect, long address, long length, int flags,
                     String detail) {
        return new ChainError(queue, rule, rule.requirement(packed), head, descriptor, inIndirect, address, length,
                flags, detail);
    }

    Chain build(int id, int ringSlots, long sequence) {
        int n = readableCount + writableCount;
        long[] buffers = mixed ? sorted(n) : Arrays.copyOf(pairs, 2 * n);
        // The usual clean chain shares the empty list: no copy call per request.
        List<ChainError> kept = tolerated.isEmpty() ? List.of() : List.copyOf(tolerated);
        return new Chain(id, buffers, readableCount, readableBytes, writableBytes, ringSlots, kept, sequence);
    }

    /** The pairs of a mixed chain, readable ones first, each kind in chain order. */
    private long[] sorted(int n) {
        long[] b = new long[2 * n];
        int r = 0;
        int w = 2 * readableCount;
        for (int i = 0; i < n; i++) {
            int to;
            if (writableAt[i]) {
                to = w;
                w += 2;
            } else {
                to = r;
                r += 2;
            }
            b[to] = pairs[2 * i];
            b[to + 1] = pairs[2 * i + 1];
        }
        return b;
    }
}
