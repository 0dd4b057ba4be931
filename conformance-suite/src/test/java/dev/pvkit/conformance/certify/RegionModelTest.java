package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkOp;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The live tries' disk model: what is known, what must be on the disk, what a failure or a discard makes unknown. */
class RegionModelTest {
    private static final BlkOp FIRST_TWO = new BlkOp(BlkOp.Kind.WRITE, 0, 2);
    private static final BlkOp THIRD = new BlkOp(BlkOp.Kind.WRITE, 2, 1);

    @Test
    void aWriteIsKnownAtOnceButOnTheDiskOnlyAfterAFlush() {
        RegionModel m = new RegionModel(4 * BlkOp.BLOCK_BYTES);
        m.bytes()[0] = 7;
        m.written(FIRST_TWO);
        assertThat(m.known(FIRST_TWO, false)).isTrue();
        assertThat(m.known(FIRST_TWO, true)).as("not flushed yet").isFalse();
        byte[] disk = new byte[4 * BlkOp.BLOCK_BYTES];
        assertThat(m.firstDurableMismatch(disk)).as("pending blocks are not held to the disk").isEqualTo(-1);
        m.flushed();
        assertThat(m.known(FIRST_TWO, true)).isTrue();
        assertThat(m.firstDurableMismatch(disk)).as("the disk lacks the flushed byte").isZero();
        disk[0] = 7;
        assertThat(m.firstDurableMismatch(disk)).isEqualTo(-1);
    }

    @Test
    void aFailedFlushLosesWhatItShouldHaveMadeDurable() {
        RegionModel m = new RegionModel(4 * BlkOp.BLOCK_BYTES);
        m.written(FIRST_TWO);
        m.flushed();
        m.written(THIRD);
        m.flushFailed();
        assertThat(m.known(FIRST_TWO, true)).as("flushed before").isTrue();
        assertThat(m.known(THIRD, false)).as("its flush failed").isFalse();
    }

    @Test
    void aDiscardOrAFailedWriteMakesTheBlocksUnknownUntilWrittenAgain() {
        RegionModel m = new RegionModel(4 * BlkOp.BLOCK_BYTES);
        m.written(FIRST_TWO);
        m.lost(new BlkOp(BlkOp.Kind.DISCARD, 1, 1));
        assertThat(m.known(FIRST_TWO, false)).isFalse();
        assertThat(m.known(new BlkOp(BlkOp.Kind.READ, 0, 1), false)).isTrue();
        m.written(FIRST_TWO);
        assertThat(m.known(FIRST_TWO, false)).isTrue();
    }
}
