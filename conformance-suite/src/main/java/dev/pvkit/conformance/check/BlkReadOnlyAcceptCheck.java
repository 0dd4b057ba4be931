package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.List;
import java.util.Set;

/**
 * DRV-BLK-014 (SHOULD): a driver accepts VIRTIO_BLK_F_RO when the device offers it. Judged on the features the
 * driver negotiated last in the session, as the back-end got them over vhost-user (QEMU passes RO through), against
 * what the device offered then ({@link VhostUserEvent.BlkDeviceFacts}).
 */
public final class BlkReadOnlyAcceptCheck implements Check {
    public static final String ACCEPT_RO = "DRV-BLK-014";

    @Override
    public Set<String> decides() {
        return Set.of(ACCEPT_RO);
    }

    @Override
    public String name() {
        return "blk read-only feature";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        List<VhostUserEvent.BlkDeviceFacts> all = session.events(VhostUserEvent.BlkDeviceFacts.class);
        if (all.isEmpty()) return;
        VhostUserEvent.BlkDeviceFacts f = all.get(all.size() - 1);
        if (!VirtioFeatures.has(f.offeredFeatures(), Blk.F_RO)) return;
        if (VirtioFeatures.has(f.negotiatedFeatures(), Blk.F_RO)) {
            findings.kept(ACCEPT_RO, f);
        } else {
            findings.broke(ACCEPT_RO, -1, f, String.format(
                    "the device offered RO (features 0x%x) but the driver negotiated 0x%x without it",
                    f.offeredFeatures(), f.negotiatedFeatures()));
        }
    }
}
