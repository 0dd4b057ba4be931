package dev.pvkit.conformance.check;

import java.util.ArrayList;
import java.util.List;

/** Every check PVKit runs on a certification, in report order. */
public final class Checks {
    private Checks() {
    }

    public static List<Check> all() {
        List<Check> all = new ArrayList<>();
        // ring (split, packed), transport (status, features, init, reset, config, notify, pci), blk, net
        all.add(new RingLayoutCheck());
        all.add(new DescriptorChainCheck());
        all.add(new AvailIndexCheck());
        all.add(new SuppressionFlagsCheck());
        all.add(new QueueSizeLimitCheck());
        all.add(new RingStartCheck());
        all.add(new PackedWrapCheck());
        all.add(new BlkCapacityCheck());
        all.add(new BlkCapacityReReadCheck());
        all.add(new BlkFlushCheck());
        all.add(new BlkDataSizeCheck());
        all.add(new BlkSegmentCountCheck());
        all.add(new BlkDiscardUnmapCheck());
        all.add(new BlkReadOnlyAcceptCheck());
        all.add(new StatusChecks());
        all.add(new FeatureChecks());
        all.add(new InitChecks());
        all.add(new ResetChecks());
        all.add(new QueueChecks());
        all.add(new ConfigChecks());
        all.add(new MsixChecks());
        all.add(new QueueResetChecks());
        all.add(new BlkZonedDiscardCheck());
        all.add(new FeaturePrerequisiteCheck());
        all.add(new EarlyNotificationCheck());
        all.add(new NetTransmitCheck());
        all.add(new NetReceiveBufferCheck());
        all.add(new NetControlCheck());
        all.add(new NetAnnounceCheck());
        all.addAll(xen());
        return List.copyOf(all);
    }

    /** The checks of a Xen front-end: they read only {@code XenEvent}s. */
    public static List<Check> xen() {
        return List.of(new XenHandshakeCheck(), new XenConnectCheck(), new XenRingCheck(), new XenBlkRequestCheck(),
                new XenNetTransmitCheck());
    }
}
