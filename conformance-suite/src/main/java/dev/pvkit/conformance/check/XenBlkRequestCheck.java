package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.XenEvent;
import dev.pvkit.sdk.xen.blkif.BlkifOp;

import java.util.Set;

/**
 * The blkif requests a front-end sends (spec §9.3): segment counts and bounds [DRV-XBLK-001] [DRV-XBLK-002], whole
 * back-end sectors [DRV-XBLK-003] [DRV-XBLK-004], only advertised operations [DRV-XBLK-005] [DRV-XBLK-006] within
 * the indirect limit [DRV-XBLK-007] with a data direction [DRV-XBLK-020], persistent-grant pages writable
 * [DRV-XBLK-013], discards aligned [DRV-XBLK-018] and not
 * secure unless offered [DRV-XBLK-019], writable grants for what the back-end writes [DRV-XEN-003] and no toolstack
 * grant reference [DRV-XEN-013], for data or ring. blkback judges
 * each request before it serves it and names the rule a refused one broke; a served request keeps the rules that
 * apply to it.
 */
public final class XenBlkRequestCheck implements Check {
    private static final Set<String> DECIDES = Set.of("DRV-XBLK-001", "DRV-XBLK-002", "DRV-XBLK-003", "DRV-XBLK-004",
            "DRV-XBLK-005", "DRV-XBLK-006", "DRV-XBLK-007", "DRV-XBLK-013", "DRV-XBLK-018", "DRV-XBLK-019", "DRV-XBLK-020", "DRV-XEN-003",
            "DRV-XEN-013");

    @Override
    public Set<String> decides() {
        return DECIDES;
    }

    @Override
    public String name() {
        return "xen blkif requests";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (XenEvent.ConnectRefused r : session.events(XenEvent.ConnectRefused.class)) {
            if ("DRV-XEN-003".equals(r.requirement()) || "DRV-XEN-013".equals(r.requirement())) {
                findings.broke(r.requirement(), -1, r, r.detail());
            }
        }
        // blkback used persistent grants when the front-end asked (its feature-persistent read as 1) and blkback offered
        // them; a back-end that did not offer them never maps writable, and refuses nothing under DRV-XBLK-013.
        boolean persistent = session.events(XenEvent.FrontendNode.class).stream()
                .anyMatch(n -> n.key().equals("feature-persistent") && "1".equals(n.value()));
        for (XenEvent.BlkRequest r : session.events(XenEvent.BlkRequest.class)) {
            if (r.refused() != null) {
                if (DECIDES.contains(r.refused())) {
                    findings.broke(r.refused(), r.ring(), r, r.describe() + ": refused by the back-end");
                }
                continue;
            }
            if (r.status() != BlkifOp.STATUS_OKAY) continue;
            // With persistent grants every data page is mapped writable: a served data request kept the rule.
            if (persistent && r.operation() != BlkifOp.DISCARD && r.operation() != BlkifOp.FLUSH_DISKCACHE
                    && r.operation() != BlkifOp.WRITE_BARRIER) {
                findings.kept("DRV-XBLK-013", r);
            }
            boolean data = r.dataOperation() == BlkifOp.READ || r.dataOperation() == BlkifOp.WRITE;
            switch (r.operation()) {
                case BlkifOp.READ, BlkifOp.WRITE -> {
                    findings.kept("DRV-XBLK-001", r);
                    findings.kept("DRV-XBLK-002", r);
                }
                case BlkifOp.INDIRECT -> {
                    findings.kept("DRV-XBLK-020", r);
                    findings.kept("DRV-XBLK-006", r);
                    findings.kept("DRV-XBLK-007", r);
                    findings.kept("DRV-XBLK-002", r);
                }
                case BlkifOp.FLUSH_DISKCACHE, BlkifOp.WRITE_BARRIER -> findings.kept("DRV-XBLK-005", r);
                case BlkifOp.DISCARD -> {
                    findings.kept("DRV-XBLK-005", r);
                    findings.kept("DRV-XBLK-018", r);
                    findings.kept("DRV-XBLK-019", r);
                }
                default -> {
                }
            }
            if (data) {
                findings.kept("DRV-XEN-013", r);
                findings.kept("DRV-XBLK-003", r);
                findings.kept("DRV-XBLK-004", r);
                if (r.dataOperation() == BlkifOp.READ) findings.kept("DRV-XEN-003", r);
            }
        }
    }
}
