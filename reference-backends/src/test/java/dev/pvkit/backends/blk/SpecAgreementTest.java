package dev.pvkit.backends.blk;

import dev.pvkit.spec.Layout;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;

import static dev.pvkit.backends.blk.VirtioBlk.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The backend's virtio-blk numbers agree with the machine-readable PVKit spec (section 11). */
class SpecAgreementTest {
    static final PvSpec SPEC = PvSpec.load();

    @Test
    void featureBits() {
        String g = "virtio.blk.feature";
        assertThat(F_SIZE_MAX).isEqualTo(SPEC.constant(g, "SIZE_MAX"));
        assertThat(F_SEG_MAX).isEqualTo(SPEC.constant(g, "SEG_MAX"));
        assertThat(F_RO).isEqualTo(SPEC.constant(g, "RO"));
        assertThat(F_BLK_SIZE).isEqualTo(SPEC.constant(g, "BLK_SIZE"));
        assertThat(F_FLUSH).isEqualTo(SPEC.constant(g, "FLUSH"));
        assertThat(F_TOPOLOGY).isEqualTo(SPEC.constant(g, "TOPOLOGY"));
        assertThat(F_CONFIG_WCE).isEqualTo(SPEC.constant(g, "CONFIG_WCE"));
        assertThat(F_MQ).isEqualTo(SPEC.constant(g, "MQ"));
        assertThat(F_DISCARD).isEqualTo(SPEC.constant(g, "DISCARD"));
        assertThat(F_WRITE_ZEROES).isEqualTo(SPEC.constant(g, "WRITE_ZEROES"));
    }

    @Test
    void requestTypesStatusesAndFlags() {
        String t = "virtio.blk.request_type";
        assertThat(T_IN).isEqualTo(SPEC.constant(t, "IN"));
        assertThat(T_OUT).isEqualTo(SPEC.constant(t, "OUT"));
        assertThat(T_FLUSH).isEqualTo(SPEC.constant(t, "FLUSH"));
        assertThat(T_GET_ID).isEqualTo(SPEC.constant(t, "GET_ID"));
        assertThat(T_GET_LIFETIME).isEqualTo(SPEC.constant(t, "GET_LIFETIME"));
        assertThat(T_DISCARD).isEqualTo(SPEC.constant(t, "DISCARD"));
        assertThat(T_WRITE_ZEROES).isEqualTo(SPEC.constant(t, "WRITE_ZEROES"));
        assertThat(T_SECURE_ERASE).isEqualTo(SPEC.constant(t, "SECURE_ERASE"));
        for (BlockStatus s : BlockStatus.values()) assertThat(s.code()).isEqualTo(SPEC.constant("virtio.blk.status", s.name()));
        assertThat(BlockRange.UNMAP).isEqualTo(SPEC.constant("virtio.blk.segment_flags", "UNMAP"));
        assertThat(DEVICE_ID).isEqualTo(SPEC.constant("virtio.device_id", "BLOCK"));
    }

    @Test
    void sizes() {
        String l = "virtio.blk.limits";
        assertThat(BlockEngine.SECTOR_SIZE).isEqualTo(SPEC.constant(l, "SECTOR_SIZE"));
        assertThat(BlockEngine.ID_BYTES).isEqualTo(SPEC.constant(l, "ID_BYTES"));
        assertThat(HEADER_BYTES).isEqualTo(SPEC.constant(l, "REQ_HEADER_BYTES"));
        assertThat(SEGMENT_BYTES).isEqualTo(SPEC.constant(l, "SEGMENT_BYTES"));
        assertThat((long) CONFIG_BYTES).isEqualTo(SPEC.layout("blk_config").orElseThrow().size().at(0));
    }

    @Test
    void configOffsets() {
        Layout c = SPEC.layout("blk_config").orElseThrow();
        assertOffset(c, "capacity", CFG_CAPACITY);
        assertOffset(c, "size_max", CFG_SIZE_MAX);
        assertOffset(c, "seg_max", CFG_SEG_MAX);
        assertOffset(c, "blk_size", CFG_BLK_SIZE);
        assertOffset(c, "physical_block_exp", CFG_PHYSICAL_BLOCK_EXP);
        assertOffset(c, "alignment_offset", CFG_ALIGNMENT_OFFSET);
        assertOffset(c, "min_io_size", CFG_MIN_IO_SIZE);
        assertOffset(c, "opt_io_size", CFG_OPT_IO_SIZE);
        assertOffset(c, "writeback", CFG_WRITEBACK);
        assertOffset(c, "num_queues", CFG_NUM_QUEUES);
        assertOffset(c, "max_discard_sectors", CFG_MAX_DISCARD_SECTORS);
        assertOffset(c, "max_discard_seg", CFG_MAX_DISCARD_SEG);
        assertOffset(c, "discard_sector_alignment", CFG_DISCARD_SECTOR_ALIGNMENT);
        assertOffset(c, "max_write_zeroes_sectors", CFG_MAX_WRITE_ZEROES_SECTORS);
        assertOffset(c, "max_write_zeroes_seg", CFG_MAX_WRITE_ZEROES_SEG);
        assertOffset(c, "write_zeroes_may_unmap", CFG_WRITE_ZEROES_MAY_UNMAP);
        Layout h = SPEC.layout("blk_req_header").orElseThrow();
        assertThat(h.field("type").orElseThrow().offset().at(0)).isZero();
        assertThat(h.field("sector").orElseThrow().offset().at(0)).isEqualTo(8);
    }

    static void assertOffset(Layout l, String field, int offset) {
        assertThat(l.field(field).orElseThrow().offset().at(0)).as(field).isEqualTo(offset);
    }
}
