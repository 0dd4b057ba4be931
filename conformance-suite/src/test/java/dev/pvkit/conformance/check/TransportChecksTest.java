package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.TransportEvent.Region;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Transport checks on hand-built register sequences, for the rules the recorded Linux trace never exercises. */
class TransportChecksTest {
    private final List<Event> events = new ArrayList<>();

    private TransportChecksTest w(CommonField f, long v) {
        events.add(new TransportEvent(events.size(), Region.COMMON, true, f.offset(), Math.min(4, f.width()), v, "virtio-blk"));
        return this;
    }

    private TransportChecksTest r(CommonField f, long v) {
        events.add(new TransportEvent(events.size(), Region.COMMON, false, f.offset(), Math.min(4, f.width()), v, "virtio-blk"));
        return this;
    }

    /** Reset, ACKNOWLEDGE, DRIVER, features (word 0 and 1 as offered and accepted), FEATURES_OK read back. */
    private TransportChecksTest upToFeaturesOk(long offered0, long offered1, long accepted0, long accepted1) {
        return w(CommonField.DEVICE_STATUS, 0).r(CommonField.DEVICE_STATUS, 0).w(CommonField.DEVICE_STATUS, 1)
                .w(CommonField.DEVICE_STATUS, 3).w(CommonField.DEVICE_FEATURE_SELECT, 0).r(CommonField.DEVICE_FEATURE, offered0)
                .w(CommonField.DEVICE_FEATURE_SELECT, 1).r(CommonField.DEVICE_FEATURE, offered1)
                .w(CommonField.DRIVER_FEATURE_SELECT, 0).w(CommonField.DRIVER_FEATURE, accepted0)
                .w(CommonField.DRIVER_FEATURE_SELECT, 1).w(CommonField.DRIVER_FEATURE, accepted1)
                .w(CommonField.DEVICE_STATUS, 0xb).r(CommonField.DEVICE_STATUS, 0xb);
    }

    private Set<String> broken(Check check) {
        Set<String> out = new HashSet<>();
        check.check(new DriverSession(1, DriverSession.Kind.OS, true, events), new Findings() {
            public void kept(String requirement, Event at) {
            }

            public void broke(String requirement, int queue, List<? extends Event> offending, String summary) {
                out.add(requirement);
            }
        });
        return out;
    }

    @Test
    void suspendWithoutDriverOkOrFeatureIsTwoShouldNots() {
        upToFeaturesOk(0x46, 1, 0x46, 1).w(CommonField.DEVICE_STATUS, 0x1b).r(CommonField.DEVICE_STATUS, 0x1b);
        assertThat(broken(new StatusChecks())).containsExactlyInAnyOrder("DRV-STATUS-005", "DRV-STATUS-006");
    }

    @Test
    void suspendWithTheFeatureReadBackAndNoConfigWriteIsClean() {
        upToFeaturesOk(0x46, 1 | 1 << 11, 0x46, 1 | 1 << 11).w(CommonField.DEVICE_STATUS, 0xf).w(CommonField.DEVICE_STATUS, 0x1f)
                .r(CommonField.DEVICE_STATUS, 0x1b);
        assertThat(broken(new StatusChecks())).isEmpty();
        events.add(new TransportEvent(99, Region.DEVICE, true, 0x20, 1, 1, "virtio-blk"));
        assertThat(broken(new StatusChecks())).containsExactly("DRV-STATUS-010");
    }

    @Test
    void suspendNotReadBack() {
        upToFeaturesOk(0x46, 1 | 1 << 11, 0x46, 1 | 1 << 11).w(CommonField.DEVICE_STATUS, 0xf).w(CommonField.DEVICE_STATUS, 0x1f)
                .w(CommonField.DEVICE_STATUS, 0xf);
        assertThat(broken(new StatusChecks())).contains("DRV-STATUS-007");
    }

    @Test
    void failedThenNewInitializationWithoutReset() {
        upToFeaturesOk(0x46, 1, 0x46, 1).w(CommonField.DEVICE_STATUS, 0x8b).w(CommonField.DRIVER_FEATURE_SELECT, 0);
        assertThat(broken(new StatusChecks())).containsExactly("DRV-STATUS-003");
    }

    @Test
    void offeredButUndefinedBitAndUnacceptedShoulds() {
        upToFeaturesOk(0x46 | 1 << 3, 1 | 1 << 1 | 1 << 4, 0x46 | 1 << 3, 1);
        assertThat(broken(new FeatureChecks())).containsExactlyInAnyOrder("DRV-FEAT-005", "DRV-FEAT-012", "DRV-FEAT-016");
    }

    @Test
    void packedQueueSizeZero() {
        upToFeaturesOk(0x46, 1 | 1 << 2, 0x46, 1 | 1 << 2).w(CommonField.QUEUE_SELECT, 0).w(CommonField.QUEUE_SIZE, 0);
        assertThat(broken(new QueueChecks())).containsExactly("DRV-PCI-016");
    }

    @Test
    void vectorOutsideTheTableIsAnsweredWithNoVector() {
        upToFeaturesOk(0x46, 1, 0x46, 1).w(CommonField.CONFIG_MSIX_VECTOR, 7).r(CommonField.CONFIG_MSIX_VECTOR, 0xffff);
        assertThat(broken(new MsixChecks())).containsExactly("DRV-NOTIFY-005");
    }

    /** RING_RESET (bit 40) offered and accepted, DRIVER_OK, queue 0 set up; then queue 0 reset with a write of 1. */
    private TransportChecksTest queue0ResetRequested() {
        upToFeaturesOk(0x46, 1 | 1 << 8, 0x46, 1 | 1 << 8).w(CommonField.QUEUE_SELECT, 0).w(CommonField.QUEUE_SIZE, 0x80)
                .w(CommonField.QUEUE_DESC, 0x1000).w(CommonField.QUEUE_DRIVER, 0x2000).w(CommonField.QUEUE_DEVICE, 0x3000)
                .w(CommonField.QUEUE_ENABLE, 1).w(CommonField.DEVICE_STATUS, 0xf);
        return w(CommonField.QUEUE_SELECT, 0).w(CommonField.QUEUE_RESET, 1);
    }

    @Test
    void queueResetConfirmedAndReEnabledLikeDiscoveryIsClean() {
        queue0ResetRequested().r(CommonField.QUEUE_RESET, 1).r(CommonField.QUEUE_RESET, 0).w(CommonField.QUEUE_SIZE, 0x40)
                .w(CommonField.QUEUE_DESC, 0x5000).w(CommonField.QUEUE_DRIVER, 0x6000).w(CommonField.QUEUE_DEVICE, 0x7000)
                .w(CommonField.QUEUE_ENABLE, 1);
        assertThat(broken(new QueueResetChecks())).isEmpty();
        assertThat(broken(new QueueChecks())).isEmpty();
    }

    @Test
    void queueSetUpAgainWhileQueueResetStillReadsOne() {
        queue0ResetRequested().r(CommonField.QUEUE_RESET, 1).w(CommonField.QUEUE_DESC, 0x5000)
                .w(CommonField.QUEUE_DRIVER, 0x6000).w(CommonField.QUEUE_DEVICE, 0x7000).w(CommonField.QUEUE_ENABLE, 1);
        assertThat(broken(new QueueResetChecks())).containsExactly("DRV-RESET-002");
    }

    @Test
    void queueResetConfirmedWithAnotherQueueSelectedDoesNotCount() {
        queue0ResetRequested().w(CommonField.QUEUE_SELECT, 1).r(CommonField.QUEUE_RESET, 0).w(CommonField.QUEUE_SELECT, 0)
                .w(CommonField.QUEUE_DESC, 0x5000);
        assertThat(broken(new QueueResetChecks())).containsExactly("DRV-RESET-002");
    }

    @Test
    void reEnabledWithoutItsAddressesIsResetFourNotPciEighteen() {
        queue0ResetRequested().r(CommonField.QUEUE_RESET, 0).w(CommonField.QUEUE_DESC, 0x5000).w(CommonField.QUEUE_ENABLE, 1);
        assertThat(broken(new QueueResetChecks())).containsExactly("DRV-RESET-004");
        assertThat(broken(new QueueChecks())).isEmpty();
    }

    @Test
    void queueResetWithoutRingResetNegotiatedIsNotJudged() {
        upToFeaturesOk(0x46, 1, 0x46, 1).w(CommonField.QUEUE_SELECT, 0).w(CommonField.QUEUE_RESET, 1)
                .w(CommonField.QUEUE_ENABLE, 1);
        assertThat(broken(new QueueResetChecks())).isEmpty();
    }

    private TransportChecksTest deviceRead(int offset, int size, long value) {
        events.add(new TransportEvent(events.size(), Region.DEVICE, false, offset, size, value, "virtio-blk"));
        return this;
    }

    @Test
    void discardAcceptedFromAHostManagedZonedDevice() {
        long offered = 1 << 17 | 1 << 13 | 0x46;
        upToFeaturesOk(offered, 1, 1 << 13 | 0x46, 1).deviceRead(0x5c, 1, 1);
        assertThat(broken(new BlkZonedDiscardCheck())).containsExactly("DRV-BLK-006");
    }

    @Test
    void zonedDiscardIsJudgedOnlyWithModelHmRead() {
        long offered = 1 << 17 | 1 << 13 | 0x46;
        upToFeaturesOk(offered, 1, 1 << 17 | 0x46, 1).deviceRead(0x5c, 1, 1);
        assertThat(broken(new BlkZonedDiscardCheck())).isEmpty();
        events.clear();
        upToFeaturesOk(offered, 1, 1 << 13 | 0x46, 1).deviceRead(0x5c, 4, 2); // model HA, in a 4-byte read
        assertThat(broken(new BlkZonedDiscardCheck())).isEmpty();
        events.clear();
        upToFeaturesOk(offered, 1, 1 << 13 | 0x46, 1);
        assertThat(broken(new BlkZonedDiscardCheck())).isEmpty();
    }

    /** The events so far, as accesses to a device named {@code device}. */
    private TransportChecksTest onDevice(String device) {
        events.replaceAll(e -> e instanceof TransportEvent t ? new TransportEvent(t.micros(), t.region(), t.write(),
                t.offset(), t.size(), t.value(), device) : e);
        return this;
    }

    @Test
    void netFeatureAcceptedWithoutItsPrerequisite() {
        long offered0 = 1 | 1 << 11 | 1 << 17 | 1 << 22; // CSUM, HOST_TSO4, CTRL_VQ, MQ
        upToFeaturesOk(offered0, 1, 1 << 11 | 1 << 22, 1).onDevice("virtio-net");
        assertThat(broken(new FeaturePrerequisiteCheck())).containsExactly("DRV-FEAT-002");
        events.clear();
        upToFeaturesOk(offered0, 1, offered0, 1).onDevice("virtio-net");
        assertThat(broken(new FeaturePrerequisiteCheck())).isEmpty();
    }

    @Test
    void netPrerequisiteWithAnAlternativeAndUnofferedDependentsAreLeftToFeatOne() {
        // GUEST_ECN (9) needs GUEST_TSO4 (7) or GUEST_TSO6 (8); GUEST_TSO6 needs GUEST_CSUM (1)
        upToFeaturesOk(1 << 1 | 1 << 8 | 1 << 9, 1, 1 << 1 | 1 << 8 | 1 << 9, 1).onDevice("virtio-net");
        assertThat(broken(new FeaturePrerequisiteCheck())).isEmpty();
        events.clear();
        // HOST_TSO4 (11) accepted without CSUM but not offered either: DRV-FEAT-001's, not judged again
        upToFeaturesOk(0, 1, 1 << 11, 1).onDevice("virtio-net");
        assertThat(broken(new FeaturePrerequisiteCheck())).isEmpty();
        assertThat(broken(new FeatureChecks())).contains("DRV-FEAT-001");
    }

    @Test
    void blkHasNoStatedPrerequisites() {
        upToFeaturesOk(0x30007e46L, 1, 1 << 11, 1); // CONFIG_WCE without FLUSH: allowed by the virtio text
        assertThat(broken(new FeaturePrerequisiteCheck())).isEmpty();
        assertThat(new FeaturePrerequisiteCheck().rules("virtio-blk")).isEmpty();
        assertThat(new FeaturePrerequisiteCheck().rules("virtio-net")).hasSize(26);
    }

    @Test
    void aConfigChangeTheSessionEndsRightAfterDecidesNothing() {
        upToFeaturesOk(0x46, 1, 0x46, 1).w(CommonField.DEVICE_STATUS, 0xf);
        long t = events.size();
        events.add(new dev.pvkit.conformance.observe.VhostUserEvent.ConfigChangeAnnounced(t));
        events.add(new TransportEvent(t + BlkCapacityReReadCheck.GRACE_MICROS - 1, Region.COMMON, false,
                CommonField.DEVICE_STATUS.offset(), 1, 0xf, "virtio-blk"));
        assertThat(broken(new BlkCapacityReReadCheck())).isEmpty();
        events.add(new TransportEvent(t + BlkCapacityReReadCheck.GRACE_MICROS, Region.COMMON, false,
                CommonField.DEVICE_STATUS.offset(), 1, 0xf, "virtio-blk"));
        assertThat(broken(new BlkCapacityReReadCheck())).containsExactly("DRV-BLK-012");
    }
}
