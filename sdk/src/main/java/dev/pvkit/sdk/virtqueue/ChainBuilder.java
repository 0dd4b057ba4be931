package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.ArrayList;
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
    /** Scratch lists, reused for every chain; {@link #build} gives the chain immutable copies. */
    private final List<Segment> readable = new ArrayList<>(4);
    private final List<Segment> writable = new ArrayList<>(4);
    private long readableBytes;
    private long writableBytes;
    private boolean seenWritable;
    private List<ChainError> tolerated;

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
        readable.clear();
        writable.clear();
        readableBytes = 0;
        writableBytes = 0;
        seenWritable = false;
        tolerated = List.of();
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
            writable.add(new Segment(address, length));
            writableBytes += len;
        } else {
            if (seenWritable) {
                ChainError e = violation(ChainRule.READABLE_AFTER_WRITABLE, descriptor, inIndirect, address, len, flags,
                        "device-readable buffer after a device-writable one");
                if (e != null) return e;
            }
            readable.add(new Segment(address, length));
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
        return new Chain(id, immutable(readable), immutable(writable), readableBytes, writableBytes, ringSlots,
                List.copyOf(tolerated), sequence);
    }

    /**
     * An immutable copy, made directly for the usual one or two buffers: List.copyOf would copy them into an
     * array first, and this runs for every request.
     */
    private static List<Segment> immutable(List<Segment> l) {
        return switch (l.size()) {
            case 0 -> List.of();
            case 1 -> List.of(l.get(0));
            case 2 -> List.of(l.get(0), l.get(1));
            default -> List.copyOf(l);
        };
    }
}
