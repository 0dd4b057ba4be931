package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.MemoryBlockStore;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The configuration values a generated-behaviour boot offers: legal, varied, served, and carried by replay words. */
class BlkGeometryTest {
    @Test
    void plainIsTheReferenceBackEndsOwnOffer() {
        BlkOptions d = BlkOptions.defaults(1 << 20);
        assertThat(BlkGeometry.plain().applyTo(d)).isEqualTo(d);
    }

    /** Every draw is one the device accepts, and the draws cover both block sizes and small and large limits. */
    @Test
    void drawsAreLegalAndVaried() {
        Set<Integer> blkSizes = new HashSet<>();
        Set<Integer> discardSegments = new HashSet<>();
        Set<Integer> writeZeroesSectors = new HashSet<>();
        for (long seed = 0; seed < 200; seed++) {
            BlkGeometry g = BlkGeometry.draw(seed);
            assertThat(BlkGeometry.draw(seed)).as("a seed gives one geometry").isEqualTo(g);
            g.applyTo(BlkOptions.defaults(1 << 20)); // throws on an illegal value
            int sectorsPerBlock = g.blkSize() / 512;
            assertThat(g.discardSectorAlignment() % sectorsPerBlock).as("discard granularity a whole logical block").isZero();
            assertThat(g.maxDiscardSectors() % g.discardSectorAlignment()).isZero();
            assertThat(g.maxWriteZeroesSectors() % sectorsPerBlock).isZero();
            blkSizes.add(g.blkSize());
            discardSegments.add(g.maxDiscardSeg());
            writeZeroesSectors.add(g.maxWriteZeroesSectors() / sectorsPerBlock);
        }
        assertThat(blkSizes).containsExactlyInAnyOrder(512, 4096);
        assertThat(discardSegments).containsExactlyInAnyOrder(1, 3, 32);
        assertThat(writeZeroesSectors).containsExactlyInAnyOrder(1, 16, 2048);
    }

    @Test
    void aValueNoDeviceCouldOfferIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> new BlkGeometry(1024, 0, 0, 1, 0, 8, 1, 1, 8, 1, false));
        assertThatIllegalArgumentException().isThrownBy(() -> new BlkGeometry(512, 0, 0, 1, 0, 0, 1, 1, 8, 1, false));
    }

    /** Offered between boots: the configuration space shows the new values, the capacity stays. */
    @Test
    void reofferChangesTheConfigurationSpaceAndKeepsTheDisk() {
        BehaviourDevice d = new BehaviourDevice(new MemoryBlockStore(4 << 20), 2 << 20, BlkBehaviour.plain(), 512, (bytes, told) -> {
        });
        ByteBuffer before = ByteBuffer.wrap(d.config()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(before.getInt(20)).as("blk_size").isEqualTo(512);

        BlkGeometry g = new BlkGeometry(4096, 1, 0, 8, 256, 64, 3, 64, 8, 1, true);
        d.reoffer(g);
        ByteBuffer c = ByteBuffer.wrap(d.config()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(c.getLong(0)).as("capacity in sectors").isEqualTo((2 << 20) / 512);
        assertThat(c.getInt(20)).as("blk_size").isEqualTo(4096);
        assertThat(c.get(24)).as("physical_block_exp").isEqualTo((byte) 1);
        assertThat(c.getShort(26)).as("min_io_size").isEqualTo((short) 8);
        assertThat(c.getInt(28)).as("opt_io_size").isEqualTo(256);
        assertThat(List.of(c.getInt(36), c.getInt(40), c.getInt(44))).as("discard limits").containsExactly(64, 3, 64);
        assertThat(List.of(c.getInt(48), c.getInt(52))).as("write zeroes limits").containsExactly(8, 1);
        assertThat(c.get(56)).as("write_zeroes_may_unmap").isEqualTo((byte) 1);
        assertThat(d.behaviour().geometry()).isEqualTo(g);
        assertThat(d.behaviour().offerKey()).isNotEqualTo(BlkBehaviour.plain().offerKey());
    }

    /** A replay word carries the geometry it was found under; a plain device's words have none, as before. */
    @Test
    void replayWordsCarryTheGeometry() {
        BlkWorkload w = new BlkWorkload(List.of(new BlkOp(BlkOp.Kind.WRITE, 0, 1)), 1, 1, true);
        BlkCase plain = new BlkCase(BlkBehaviour.plain(), w);
        assertThat(CaseCodec.json(plain)).doesNotContain("geometry");
        BlkCase varied = new BlkCase(BlkBehaviour.plain().withGeometry(BlkGeometry.draw(5)), w);
        BlkCase back = CaseCodec.decode(CaseCodec.encode(varied));
        assertThat(back).isEqualTo(varied);
        assertThat(back.behaviour().withGeometry(BlkGeometry.plain())).as("the plain geometry is spelled null").isEqualTo(plain.behaviour());
        assertThat(BlkCases.dimensions(varied)).containsEntry("blk_size", String.valueOf(BlkGeometry.draw(5).blkSize()));
        assertThat(Map.copyOf(BlkCases.dimensions(plain))).containsEntry("blk_size", "512");
    }
}
