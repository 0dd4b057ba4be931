package dev.pvkit.spec;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The spec PVKit ships: loads from the classpath, is consistent, and meets the coverage bar. */
class ShippedSpecTest {

    static PvSpec spec;

    @BeforeAll
    static void load() {
        spec = PvSpec.load();
    }

    @Test
    void isVersionTwoAndNamesItself() {
        assertThat(spec.version()).isEqualTo(SpecVersion.parse("4.0.0"));
        assertThat(spec.citation()).isEqualTo("PVKit specification 4.0.0");
    }

    @Test
    void isConsistent() {
        List<SpecConsistency.Problem> problems = SpecConsistency.check(spec);
        assertThat(problems).as("consistency problems:%n%s", String.join("\n", problems.stream().map(Object::toString).toList()))
                .isEmpty();
    }

    @Test
    void hasAtLeast250RequirementsWithEveryField() {
        assertThat(spec.requirements()).hasSizeGreaterThanOrEqualTo(250);
        assertThat(spec.requirements()).allSatisfy(r -> {
            assertThat(r.id()).matches(PvSpecLoader.REQUIREMENT_ID);
            assertThat(r.target()).isNotNull();
            assertThat(r.strength()).isNotNull();
            assertThat(r.source()).isNotNull();
            assertThat(r.observable()).isNotNull();
            assertThat(r.how()).isNotBlank();
            assertThat(r.statement()).isNotBlank();
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"STATUS", "FEAT", "INIT", "RESET", "CFG", "SPLIT", "PACKED", "BLK", "NET"})
    void driverRequirementsCoverEveryVirtioArea(String area) {
        assertThat(spec.requirements(area)).filteredOn(r -> r.target() == Target.DRIVER).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SPLIT", "PACKED", "BLK", "NET", "XRING", "XBLK", "XEN", "VU", "NOTIFY"})
    void deviceSideRulesExistWhereBackendsAreBuilt(String area) {
        assertThat(spec.requirements(area))
                .filteredOn(r -> r.target() == Target.DEVICE || r.target() == Target.BACK_END).isNotEmpty();
    }

    @Test
    void everyAreaHasRequirementsAndEveryRequirementAnArea() {
        for (Area a : spec.areas()) {
            assertThat(spec.requirements(a.code())).as("area %s", a.code()).isNotEmpty();
        }
    }

    /** Spot checks against the reference facts (shared/reference) so a typo in the machine form is caught. */
    @Test
    void constantsAgreeWithTheSources() {
        assertThat(spec.constant("virtio.status", "ACKNOWLEDGE")).isEqualTo(1);
        assertThat(spec.constant("virtio.status", "FEATURES_OK")).isEqualTo(8);
        assertThat(spec.constant("virtio.status", "DEVICE_NEEDS_RESET")).isEqualTo(64);
        assertThat(spec.constant("virtio.status", "FAILED")).isEqualTo(128);
        assertThat(spec.constant("virtio.feature", "INDIRECT_DESC")).isEqualTo(28);
        assertThat(spec.constant("virtio.feature", "EVENT_IDX")).isEqualTo(29);
        assertThat(spec.constant("virtio.feature", "VERSION_1")).isEqualTo(32);
        assertThat(spec.constant("virtio.feature", "RING_PACKED")).isEqualTo(34);
        assertThat(spec.constant("virtio.feature", "IN_ORDER")).isEqualTo(35);
        assertThat(spec.constant("virtio.split.desc_flags", "INDIRECT")).isEqualTo(4);
        assertThat(spec.constant("virtio.packed.desc_flags", "AVAIL")).isEqualTo(1 << 7);
        assertThat(spec.constant("virtio.packed.desc_flags", "USED")).isEqualTo(1 << 15);
        assertThat(spec.constant("vhostuser.request", "GET_VRING_BASE")).isEqualTo(11);
        assertThat(spec.constant("vhostuser.request", "SET_STATUS")).isEqualTo(39);
        assertThat(spec.constant("vhostuser.protocol_feature", "CONFIGURE_MEM_SLOTS")).isEqualTo(15);
        assertThat(spec.constant("vhostuser.virtio_feature", "PROTOCOL_FEATURES")).isEqualTo(30);
        assertThat(spec.constant("virtio.blk.request_type", "OUT")).isEqualTo(1);
        assertThat(spec.constant("virtio.blk.request_type", "WRITE_ZEROES")).isEqualTo(13);
        assertThat(spec.constant("virtio.blk.status", "UNSUPP")).isEqualTo(2);
        assertThat(spec.constant("virtio.net.feature", "MRG_RXBUF")).isEqualTo(15);
        assertThat(spec.constant("virtio.net.feature", "MQ")).isEqualTo(22);
        assertThat(spec.constant("xen.xenbus_state", "CONNECTED")).isEqualTo(4);
    }

    @Test
    void ringLayoutsHaveTheSizesTheRingsNeed() {
        assertThat(spec.layout("split_desc").orElseThrow().size().at(1)).isEqualTo(16);
        assertThat(spec.layout("split_avail").orElseThrow().size().at(256)).isEqualTo(6 + 2 * 256);
        assertThat(spec.layout("split_used").orElseThrow().size().at(256)).isEqualTo(6 + 8 * 256);
        assertThat(spec.layout("packed_desc").orElseThrow().size().at(1)).isEqualTo(16);
        assertThat(spec.layout("vhost_user_vring_addr").orElseThrow().size().at(1)).isEqualTo(40);
        assertThat(spec.layout("blk_req_header").orElseThrow().size().at(1)).isEqualTo(16);
        assertThat(spec.layout("net_hdr").orElseThrow().size().at(1)).isEqualTo(12);
        assertThat(spec.layout("xen_sring_header").orElseThrow().size().at(1)).isEqualTo(64);
    }
}
