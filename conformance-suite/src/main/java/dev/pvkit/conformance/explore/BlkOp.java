package dev.pvkit.conformance.explore;

/**
 * One request of a generated workload, on a disk cut into 4 KiB blocks.
 *
 * @param kind   what is asked
 * @param block  the first 4 KiB block (ignored by FLUSH)
 * @param blocks how many blocks (ignored by FLUSH)
 */
public record BlkOp(Kind kind, int block, int blocks) {
    public static final int BLOCK_BYTES = 4096;

    /**
     * What a request asks. After DISCARD a range's contents are the device's choice (old data or zeroes) until written
     * again; after WRITE_ZEROES it reads back as zeroes.
     */
    public enum Kind { WRITE, READ, FLUSH, DISCARD, WRITE_ZEROES }

    public BlkOp {
        if (block < 0 || blocks < 1) throw new IllegalArgumentException("block " + block + ", blocks " + blocks);
    }

    /** Whether this request and {@code other} touch a common block (a FLUSH touches none). */
    public boolean overlaps(BlkOp other) {
        if (kind == Kind.FLUSH || other.kind == Kind.FLUSH) return false;
        return block < other.block + other.blocks && other.block < block + blocks;
    }

    @Override
    public String toString() {
        return kind == Kind.FLUSH ? "flush" : kind.name().toLowerCase(java.util.Locale.ROOT) + " " + block + "+" + blocks;
    }
}
