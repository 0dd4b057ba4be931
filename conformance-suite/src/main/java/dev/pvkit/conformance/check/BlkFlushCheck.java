package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;

import java.util.Set;

/** DRV-BLK-015: a FLUSH has sector 0; DRV-BLK-016 (SHOULD NOT): a FLUSH carries no data bytes either way. */
public final class BlkFlushCheck implements Check {
    public static final String FLUSH_SECTOR_ZERO = "DRV-BLK-015";
    public static final String FLUSH_WITHOUT_DATA = "DRV-BLK-016";

    @Override
    public Set<String> decides() {
        return Set.of(FLUSH_SECTOR_ZERO, FLUSH_WITHOUT_DATA);
    }

    @Override
    public String name() {
        return "blk flush";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (RingEvent.BlkRequest r : session.events(RingEvent.BlkRequest.class)) {
            if (r.type() != Blk.T_FLUSH) continue;
            if (r.sector() != 0) {
                findings.broke(FLUSH_SECTOR_ZERO, r.queue(), r, Blk.request(r) + ": a FLUSH must have sector 0");
            } else {
                findings.kept(FLUSH_SECTOR_ZERO, r);
            }
            if (r.dataOut() != 0 || r.dataIn() != 0) {
                findings.broke(FLUSH_WITHOUT_DATA, r.queue(), r, Blk.request(r) + ": a FLUSH should carry no data bytes");
            } else {
                findings.kept(FLUSH_WITHOUT_DATA, r);
            }
        }
    }
}
