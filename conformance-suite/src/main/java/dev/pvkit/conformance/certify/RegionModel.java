package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkOp;

import java.util.Arrays;

/**
 * What one try's disk region should hold, block by block (4 KiB): bytes, and whether they are known. A block is
 * unknown after a discard (the device may keep or zero it) and after a write or flush the guest reported as failed
 * (the data may or may not have reached the disk); it is pending from a write until a flush succeeds, which matters
 * only when the device injects failures: then only flushed data is sure to be what the disk holds.
 */
final class RegionModel {
    private final byte[] bytes;
    private final boolean[] unknown;
    private final boolean[] pending;

    RegionModel(int regionBytes) {
        this.bytes = new byte[regionBytes];
        this.unknown = new boolean[regionBytes / BlkOp.BLOCK_BYTES];
        this.pending = new boolean[unknown.length];
    }

    byte[] bytes() {
        return bytes;
    }

    void written(BlkOp op) {
        Arrays.fill(unknown, op.block(), op.block() + op.blocks(), false);
        Arrays.fill(pending, op.block(), op.block() + op.blocks(), true);
    }

    /** The guest zeroed the blocks (WRITE_ZEROES or writes of zeroes): known zeroes, on the disk after a flush. */
    void zeroed(BlkOp op) {
        Arrays.fill(bytes, op.block() * BlkOp.BLOCK_BYTES, (op.block() + op.blocks()) * BlkOp.BLOCK_BYTES, (byte) 0);
        written(op);
    }

    /** The write, discard or read failed in the guest, or the device may do either: the blocks are not known. */
    void lost(BlkOp op) {
        Arrays.fill(unknown, op.block(), op.block() + op.blocks(), true);
        Arrays.fill(pending, op.block(), op.block() + op.blocks(), false);
    }

    /** A flush succeeded: everything written before it is on the disk. */
    void flushed() {
        Arrays.fill(pending, false);
    }

    /** A flush failed: what it should have made durable is not known. */
    void flushFailed() {
        for (int i = 0; i < pending.length; i++) {
            if (pending[i]) unknown[i] = true;
            pending[i] = false;
        }
    }

    /** Whether every block of {@code op} is known; with {@code flushedOnly}, also on the disk (no write pending). */
    boolean known(BlkOp op, boolean flushedOnly) {
        for (int k = op.block(); k < op.block() + op.blocks(); k++) {
            if (unknown[k] || flushedOnly && pending[k]) return false;
        }
        return true;
    }

    /** The first block known to be on the disk whose bytes differ from {@code disk} (the region as the store holds it), or -1. */
    int firstDurableMismatch(byte[] disk) {
        for (int k = 0; k < unknown.length; k++) {
            if (unknown[k] || pending[k]) continue;
            int from = k * BlkOp.BLOCK_BYTES;
            if (!Arrays.equals(bytes, from, from + BlkOp.BLOCK_BYTES, disk, from, from + BlkOp.BLOCK_BYTES)) return k;
        }
        return -1;
    }
}
