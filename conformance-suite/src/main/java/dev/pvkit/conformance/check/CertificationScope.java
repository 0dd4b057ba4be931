package dev.pvkit.conformance.check;

import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Target;

import java.util.List;
import java.util.Set;

/** Which requirements a certification of one device type reports on: the driver's, common areas plus the device's. */
public final class CertificationScope {
    /** Areas every virtio-pci driver is judged on, whatever the device type. */
    public static final List<String> COMMON_AREAS =
            List.of("STATUS", "FEAT", "INIT", "RESET", "CFG", "SPLIT", "PACKED", "NOTIFY", "PCI");

    private CertificationScope() {
    }

    /** The virtio-blk driver's scope: the common areas and BLK. */
    public static Set<String> blkAreas() {
        return Set.copyOf(concat(COMMON_AREAS, List.of("BLK")));
    }

    /** The virtio-net driver's scope: the common areas and NET. */
    public static Set<String> netAreas() {
        return Set.copyOf(concat(COMMON_AREAS, List.of("NET")));
    }

    /**
     * A Xen front-end pair's scope (blkfront and netfront on one domU): the shared ring, the XenStore handshake and
     * grants (XEN), the hypercall ABI (nothing a back-end sees) and both devices' protocols.
     */
    public static Set<String> xenAreas() {
        return Set.of("XRING", "XEN", "XHCALL", "XBLK", "XNET");
    }

    /** Driver requirements in force in {@code areas}, in catalog order. */
    public static List<Requirement> requirements(PvSpec spec, Set<String> areas) {
        return spec.inForce().stream().filter(r -> r.target() == Target.DRIVER && areas.contains(r.area())).toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
