package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.DriverRingRules;
import dev.pvkit.spec.Layout;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Target;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The SDK's numbers and rule ids are the spec's: checked against the machine-readable PVKit spec. */
class SpecAgreementTest {

    static PvSpec spec;

    @BeforeAll
    static void load() {
        spec = PvSpec.load();
    }

    @ParameterizedTest
    @EnumSource(ChainRule.class)
    void everyChainRuleNamesADriverRequirementOfItsFormat(ChainRule rule) {
        assertThat(rule.splitRequirement() != null || rule.packedRequirement() != null).isTrue();
        if (rule.splitRequirement() != null) {
            Requirement r = spec.requirement(rule.splitRequirement()).orElseThrow();
            assertThat(r.area()).isEqualTo("SPLIT");
            assertThat(r.target()).isEqualTo(Target.DRIVER);
            assertThat(r.isWithdrawn()).as("%s cites a requirement in force", rule).isFalse();
        }
        if (rule.packedRequirement() != null) {
            Requirement r = spec.requirement(rule.packedRequirement()).orElseThrow();
            assertThat(r.area()).isEqualTo("PACKED");
            assertThat(r.target()).isEqualTo(Target.DRIVER);
            assertThat(r.isWithdrawn()).as("%s cites a requirement in force", rule).isFalse();
        }
    }

    /** The one vhost-user refusal the SDK adds of its own names a back-end requirement in force. */
    @Test
    void theUnsealedFileRefusalNamesABackEndRequirement() {
        Requirement r = spec.requirement(dev.pvkit.sdk.vhostuser.UnsealedFiles.REQUIREMENT).orElseThrow();
        assertThat(r.target()).isEqualTo(Target.BACK_END);
        assertThat(r.area()).isEqualTo("VU");
        assertThat(r.isWithdrawn()).isFalse();
        assertThat(r.statement()).contains("shrink");
    }

    @Test
    void featureBitsMatch() {
        assertThat(VirtioFeatures.INDIRECT_DESC).isEqualTo(spec.constant("virtio.feature", "INDIRECT_DESC"));
        assertThat(VirtioFeatures.EVENT_IDX).isEqualTo(spec.constant("virtio.feature", "EVENT_IDX"));
        assertThat(VirtioFeatures.VERSION_1).isEqualTo(spec.constant("virtio.feature", "VERSION_1"));
        assertThat(VirtioFeatures.ACCESS_PLATFORM).isEqualTo(spec.constant("virtio.feature", "ACCESS_PLATFORM"));
        assertThat(VirtioFeatures.RING_PACKED).isEqualTo(spec.constant("virtio.feature", "RING_PACKED"));
        assertThat(VirtioFeatures.IN_ORDER).isEqualTo(spec.constant("virtio.feature", "IN_ORDER"));
    }

    @Test
    void splitRingLayoutMatches() {
        assertThat(SplitRing.F_NEXT).isEqualTo(spec.constant("virtio.split.desc_flags", "NEXT"));
        assertThat(SplitRing.F_WRITE).isEqualTo(spec.constant("virtio.split.desc_flags", "WRITE"));
        assertThat(SplitRing.F_INDIRECT).isEqualTo(spec.constant("virtio.split.desc_flags", "INDIRECT"));
        assertThat(SplitRing.AVAIL_F_NO_INTERRUPT).isEqualTo(spec.constant("virtio.split.avail_flags", "NO_INTERRUPT"));
        assertThat(SplitRing.USED_F_NO_NOTIFY).isEqualTo(spec.constant("virtio.split.used_flags", "NO_NOTIFY"));
        assertThat(QueueConfig.MAX_SIZE).isEqualTo(spec.constant("virtio.split.limits", "MAX_QUEUE_SIZE"));
        for (int q : new int[]{1, 256, 32768}) {
            assertThat(SplitRing.descTableBytes(q)).isEqualTo(q * spec.layout("split_desc").orElseThrow().size().at(q));
            assertThat(SplitRing.availBytes(q)).isEqualTo(spec.layout("split_avail").orElseThrow().size().at(q));
            assertThat(SplitRing.usedBytes(q)).isEqualTo(spec.layout("split_used").orElseThrow().size().at(q));
            SplitRing r = new SplitRing(q, 0, 0x100000, 0x200000);
            assertThat(r.usedEvent() - r.avail()).isEqualTo(spec.layout("split_avail").orElseThrow().field("used_event").orElseThrow().offset().at(q));
            assertThat(r.availEvent() - r.used()).isEqualTo(spec.layout("split_used").orElseThrow().field("avail_event").orElseThrow().offset().at(q));
        }
    }

    @Test
    void packedRingFlagsAndLimitsMatch() {
        String flags = "virtio.packed.desc_flags";
        assertThat(PackedRing.F_NEXT).isEqualTo(spec.constant(flags, "NEXT"));
        assertThat(PackedRing.F_WRITE).isEqualTo(spec.constant(flags, "WRITE"));
        assertThat(PackedRing.F_INDIRECT).isEqualTo(spec.constant(flags, "INDIRECT"));
        assertThat(PackedRing.F_AVAIL).isEqualTo(spec.constant(flags, "AVAIL"));
        assertThat(PackedRing.F_USED).isEqualTo(spec.constant(flags, "USED"));
        // The driver model keeps its own copy of the wrap bits: both must be the spec's.
        assertThat(DriverRingRules.PACKED_AVAIL).isEqualTo(spec.constant(flags, "AVAIL"));
        assertThat(DriverRingRules.PACKED_USED).isEqualTo(spec.constant(flags, "USED"));
        assertThat(DriverRingRules.packedAvailFlags(true)).isEqualTo(spec.constant(flags, "AVAIL"));
        assertThat(DriverRingRules.packedAvailFlags(false)).isEqualTo(spec.constant(flags, "USED"));
        assertThat(DriverRingRules.packedUsedFlags(true)).isEqualTo(spec.constant(flags, "AVAIL") | spec.constant(flags, "USED"));
        assertThat(DriverRingRules.packedUsedFlags(false)).isZero();

        String modes = "virtio.packed.event_flags";
        assertThat(PackedRing.EVENT_ENABLE).isEqualTo(spec.constant(modes, "ENABLE"));
        assertThat(PackedRing.EVENT_DISABLE).isEqualTo(spec.constant(modes, "DISABLE"));
        assertThat(PackedRing.EVENT_DESC).isEqualTo(spec.constant(modes, "DESC"));

        String limits = "virtio.packed.limits";
        assertThat(QueueConfig.MAX_SIZE).isEqualTo(spec.constant(limits, "MAX_QUEUE_SIZE"));
        assertThat(PackedRing.DESC_ALIGN).isEqualTo(spec.constant(limits, "DESC_ALIGN"));
        assertThat(PackedRing.EVENT_ALIGN).isEqualTo(spec.constant(limits, "EVENT_ALIGN"));
    }

    @Test
    void packedRingLayoutsMatch() {
        Layout desc = spec.layout("packed_desc").orElseThrow();
        assertThat(PackedRing.DESC_SIZE).isEqualTo(desc.size().at(1));
        assertThat(PackedRing.DESC_ALIGN).isEqualTo(desc.align());
        PackedRing r = new PackedRing(8, 0x10000, 0x20000, 0x30000);
        for (int slot : new int[]{0, 5}) {
            assertThat(r.desc(slot) - r.descriptors()).isEqualTo(slot * desc.size().at(8) + offset(desc, "addr"));
            assertThat(r.descLen(slot) - r.desc(slot)).isEqualTo(offset(desc, "len"));
            assertThat(r.descId(slot) - r.desc(slot)).isEqualTo(offset(desc, "id"));
            assertThat(r.descFlags(slot) - r.desc(slot)).isEqualTo(offset(desc, "flags"));
        }
        for (long q : new long[]{1, 256, 32768}) assertThat(PackedRing.ringBytes((int) q)).isEqualTo(q * desc.size().at(q));

        // The event structure is accessed as one little-endian 32-bit word: desc in the field at its offset,
        // the mode in the flags field.
        Layout event = spec.layout("packed_event_suppress").orElseThrow();
        assertThat(PackedRing.EVENT_BYTES).isEqualTo(event.size().at(1));
        assertThat(PackedRing.EVENT_ALIGN).isEqualTo(event.align());
        int word = PackedRing.event(PackedRing.EVENT_DESC, PackedRing.offWrap(0x1234, true));
        assertThat((word >>> (8 * offset(event, "desc"))) & 0xffff).isEqualTo(0x1234 | 0x8000);
        assertThat((word >>> (8 * offset(event, "flags"))) & 0xffff).isEqualTo(PackedRing.EVENT_DESC);
    }

    private static long offset(Layout layout, String field) {
        return layout.field(field).orElseThrow().offset().at(1);
    }
}
