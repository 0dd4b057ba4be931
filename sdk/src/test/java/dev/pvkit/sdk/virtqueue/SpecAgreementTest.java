package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.virtio.VirtioFeatures;
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
        }
        if (rule.packedRequirement() != null) {
            Requirement r = spec.requirement(rule.packedRequirement()).orElseThrow();
            assertThat(r.area()).isEqualTo("PACKED");
            assertThat(r.target()).isEqualTo(Target.DRIVER);
        }
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
}
