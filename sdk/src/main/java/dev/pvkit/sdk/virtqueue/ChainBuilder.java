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
     * Scratch space reused for every chain: the readable and the writable buffers as (address, length) pairs, each
     * list in chain order. {@link #build} copies them into the one array the chain keeps.
     */
    private long[] readable = new long[8];
    private long[] writable = new long[8];
    private int readableCount;
    private int writableCount;
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
            if (2 * writableCount == writable.length) writable = Arrays.copyOf(writable, 2 * writable.length);
            writable[2 * writableCount] = address;
            writable[2 * writableCount + 1] = len;
            writableCount++;
            writableBytes += len;
        } else {
            if (seenWritable) {
                ChainError e = violation(ChainRule.READABLE_AFTER_WRITABLE, descriptor, inIndirect, address, len, flags,
                        "device-readable buffer after a device-writable one");
                if (e != null) return e;
            }
            if (2 * readableCount == readable.length) readable = Arrays.copyOf(readable, 2 * readable.length);
            readable[2 * readableCount] = address;
            readable[2 * readableCount + 1] = len;
            readableCount++;
            readableBytes += len;
        }
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
        long[] buffers = new long[2 * (readableCount + writableCount)];
        System.arraycopy(readable, 0, buffers, 0, 2 * readableCount);
        System.arraycopy(writable, 0, buffers, 2 * readableCount, 2 * writableCount);
        // The usual clean chain shares the empty list: no copy call per request.
        List<ChainError> kept = tolerated.isEmpty() ? List.of() : List.copyOf(tolerated);
        return new Chain(id, buffers, readableCount, readableBytes, writableBytes, ringSlots, kept, sequence);
    }
}
