package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.List;
import java.util.Set;

/**
 * DRV-BLK-006 (MUST NOT): when the device offers VIRTIO_BLK_F_ZONED with the host-managed model, the driver does not
 * accept VIRTIO_BLK_F_DISCARD (virtio 1.4 §5.2.5.1). Judged from the trace, per initialization (reset to reset), at
 * the driver's FEATURES_OK write, only when everything it needs was seen: the driver read device_feature word 0 with
 * ZONED (bit 17) and DISCARD (bit 13) set — an unoffered DISCARD is DRV-FEAT-001's — and it read the model byte
 * ({@code zoned.model}, device config+0x5c, virtio 1.4 §5.2.4) in the same initialization, before or after
 * FEATURES_OK (the model is fixed). A model it never read is unknown, and nothing is said.
 *
 * <p>DRV-BLK-008 and DRV-BLK-009 (no FEATURES_OK, FAILED instead, when ZONED is negotiated, the model reads HM and
 * the driver cannot drive host-managed disks) hinge on the driver's capability, which the trace does not show: a
 * driver that sets FEATURES_OK may support HM, one that stops may stop for another reason. They are not decided.
 */
public final class BlkZonedDiscardCheck implements Check {
    public static final String NO_DISCARD_WITH_HM = "DRV-BLK-006";

    static final int F_ZONED = 17;
    /** virtio_blk_config.zoned.model: zone_sectors at 72, five le32 fields, then the model byte. */
    static final int ZONED_MODEL = 92;
    /** VIRTIO_BLK_Z_HM (virtio 1.4 §5.2.4: NONE 0, HM 1, HA 2). */
    static final int Z_HM = 1;

    @Override
    public Set<String> decides() {
        return Set.of(NO_DISCARD_WITH_HM);
    }

    @Override
    public String name() {
        return "blk zoned host-managed discard";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        // per initialization: the FEATURES_OK write (with the registers then) and the model the driver read
        Init[] cur = {new Init()};
        PciRegisters.replay(session, (t, r) -> {
            if (PciRegisters.isReset(t)) {
                judge(cur[0], findings);
                cur[0] = new Init();
                return;
            }
            if (!r.known() || t.device() == null || !t.device().contains("blk")) return;
            if (t.region() == TransportEvent.Region.DEVICE && !t.write() && t.offset() <= ZONED_MODEL
                    && t.offset() + t.size() > ZONED_MODEL) {
                cur[0].model = (int) ((t.value() >>> (8 * (ZONED_MODEL - t.offset()))) & 0xff);
                cur[0].modelRead = t;
            }
            if (PciRegisters.isStatusWrite(t) && (t.value() & DeviceStatus.FEATURES_OK) != 0 && !r.featuresOk()
                    && cur[0].featuresOk == null) {
                cur[0].featuresOk = t;
                cur[0].offered0 = r.offered(0).isPresent() ? r.offered(0).getAsLong() : -1;
                cur[0].accepted0 = r.accepted(0).orElse(0);
            }
        });
        judge(cur[0], findings);
    }

    private static final class Init {
        TransportEvent featuresOk;
        long offered0 = -1;
        long accepted0;
        TransportEvent modelRead;
        int model = -1;
    }

    private static void judge(Init i, Findings findings) {
        if (i.featuresOk == null || i.modelRead == null || i.offered0 < 0) return;
        if (!VirtioFeatures.has(i.offered0, F_ZONED) || !VirtioFeatures.has(i.offered0, Blk.F_DISCARD) || i.model != Z_HM) return;
        if (!VirtioFeatures.has(i.accepted0, Blk.F_DISCARD)) {
            findings.kept(NO_DISCARD_WITH_HM, i.featuresOk);
        } else {
            findings.broke(NO_DISCARD_WITH_HM, -1, List.of(i.featuresOk, i.modelRead), String.format(
                    "set FEATURES_OK with DISCARD (bit 13) accepted (driver_feature word 0 = 0x%08x) although the device"
                            + " offered ZONED (device_feature word 0 read 0x%08x) and zoned.model read %d (HM); the rule"
                            + " forbids accepting DISCARD from a host-managed zoned device", i.accepted0, i.offered0,
                    i.model));
        }
    }
}
