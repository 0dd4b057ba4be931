package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkOp;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How a live try's workload goes out in groups run at once: up to the depth, no flush, no two on a common block. */
class LiveBlkTriesGroupTest {
    private static BlkOp op(BlkOp.Kind k, int block, int blocks) {
        return new BlkOp(k, block, blocks);
    }

    private static List<Integer> groupSizes(List<BlkOp> ops, int depth) {
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0, end; i < ops.size(); i = end) {
            end = LiveBlkTries.groupEnd(ops, i, depth);
            sizes.add(end - i);
        }
        return sizes;
    }

    @Test
    void disjointOperationsGoTogetherUpToTheDepth() {
        List<BlkOp> ops = List.of(op(BlkOp.Kind.WRITE, 0, 2), op(BlkOp.Kind.READ, 4, 1), op(BlkOp.Kind.WRITE_ZEROES, 8, 4),
                op(BlkOp.Kind.DISCARD, 20, 1), op(BlkOp.Kind.WRITE, 30, 1));
        assertThat(groupSizes(ops, 8)).containsExactly(5);
        assertThat(groupSizes(ops, 2)).containsExactly(2, 2, 1);
        assertThat(groupSizes(ops, 1)).as("depth 1: one at a time, as before").containsExactly(1, 1, 1, 1, 1);
    }

    @Test
    void aFlushOrAnOverlapEndsAGroup() {
        List<BlkOp> ops = List.of(op(BlkOp.Kind.WRITE, 0, 2), op(BlkOp.Kind.READ, 1, 2), op(BlkOp.Kind.WRITE, 5, 1),
                op(BlkOp.Kind.FLUSH, 0, 1), op(BlkOp.Kind.READ, 0, 1), op(BlkOp.Kind.READ, 1, 1), op(BlkOp.Kind.READ, 1, 1));
        // the read of blocks 1-2 overlaps the write of 0-1; a flush stands alone; the last read overlaps the one before
        assertThat(groupSizes(ops, 8)).containsExactly(1, 2, 1, 2, 1);
    }
}
