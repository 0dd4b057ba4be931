package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.XenEvent;
import dev.pvkit.sdk.xen.XenbusState;

import java.util.Map;
import java.util.Set;

/**
 * The values a blkfront publishes for its transport (spec §9.4): a protocol the back-end knows [DRV-XBLK-008], a
 * ring-page-order within the back-end's maximum [DRV-XBLK-010], a queue count within its offer [DRV-XBLK-011], and an
 * event channel left unbound for the back-end [DRV-XEN-004], and every page of a multi-page ring named
 * [DRV-XBLK-015]. Each is broken when the back-end refused to connect for
 * it, and kept when the back-end connected with the node present.
 */
public final class XenConnectCheck implements Check {
    private static final Map<String, String> NODE = Map.of(
            "DRV-XBLK-008", "protocol",
            "DRV-XBLK-010", "ring-page-order",
            "DRV-XBLK-011", "multi-queue-num-queues",
            "DRV-XEN-004", "event-channel",
            "DRV-XBLK-015", "ring-ref0");

    @Override
    public Set<String> decides() {
        return NODE.keySet();
    }

    @Override
    public String name() {
        return "xen transport keys";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (XenEvent.ConnectRefused r : session.events(XenEvent.ConnectRefused.class)) {
            if (r.requirement() != null && NODE.containsKey(r.requirement())) {
                findings.broke(r.requirement(), -1, r, "the back-end could not connect: " + r.detail());
            }
        }
        boolean connected = session.events(XenEvent.BackendState.class).stream()
                .anyMatch(b -> b.state() == XenbusState.CONNECTED);
        if (!connected) return;
        for (XenEvent.FrontendNode n : session.events(XenEvent.FrontendNode.class)) {
            if (n.value() == null) continue;
            String key = n.key().substring(n.key().lastIndexOf('/') + 1);
            NODE.forEach((id, node) -> {
                if (node.equals(key)) findings.kept(id, n);
            });
        }
    }
}
