package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.XenEvent;

import java.util.Set;

/**
 * The packets a netfront transmits (spec §9.5): sizes that add up [DRV-XNET-001], a chain that ends
 * [DRV-XNET-002], well-formed extra-info [DRV-XNET-003] of no type NONE [DRV-XNET-004], fragments inside their
 * pages [DRV-XNET-005], and GSO only of a type the back-end offered [DRV-XNET-006]. netback judges each packet
 * whole before it reads its data and names the rule a refused one broke.
 */
public final class XenNetTransmitCheck implements Check {
    private static final Set<String> DECIDES = Set.of("DRV-XNET-001", "DRV-XNET-002", "DRV-XNET-003", "DRV-XNET-004",
            "DRV-XNET-005", "DRV-XNET-006");

    @Override
    public Set<String> decides() {
        return DECIDES;
    }

    @Override
    public String name() {
        return "xen netif transmit";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (XenEvent.NetTransmit t : session.events(XenEvent.NetTransmit.class)) {
            if (t.refused() != null) {
                if (DECIDES.contains(t.refused())) {
                    findings.broke(t.refused(), t.queue(), t, t.describe() + ": refused by the back-end");
                }
                continue;
            }
            findings.kept("DRV-XNET-001", t);
            findings.kept("DRV-XNET-002", t);
            findings.kept("DRV-XNET-005", t);
            if (t.extras() > 0) {
                findings.kept("DRV-XNET-003", t);
                findings.kept("DRV-XNET-004", t);
            }
            if (t.gso()) findings.kept("DRV-XNET-006", t);
        }
    }
}
