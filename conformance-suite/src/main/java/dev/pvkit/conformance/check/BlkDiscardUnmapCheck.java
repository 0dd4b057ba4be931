package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.Set;

/**
 * DRV-BLK-025: the UNMAP flag (bit 0) stays clear in every DISCARD segment. The device reports the OR of the flags
 * of the segments it read; it reads them only when DISCARD was negotiated, and stops at the first segment whose
 * flags it refuses (answering UNSUPP). So: UNMAP in the OR is a violation; a DISCARD answered otherwise than UNSUPP
 * had every segment read and clear; an UNSUPP without UNMAP in the OR (stopped at a reserved bit) decides nothing.
 */
public final class BlkDiscardUnmapCheck implements Check {
    public static final String DISCARD_UNMAP_CLEAR = "DRV-BLK-025";

    @Override
    public Set<String> decides() {
        return Set.of(DISCARD_UNMAP_CLEAR);
    }

    @Override
    public String name() {
        return "blk discard flags";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Blk.eachRequest(session, (r, facts) -> {
            if (r.type() != Blk.T_DISCARD || r.segments() == 0 || !VirtioFeatures.has(facts.negotiatedFeatures(), Blk.F_DISCARD)) return;
            if ((r.segmentFlags() & Blk.UNMAP) != 0) {
                findings.broke(DISCARD_UNMAP_CLEAR, r.queue(), r, String.format(
                        "%s: a segment has UNMAP (segment flags OR 0x%x); DISCARD segments must leave it clear",
                        Blk.request(r), r.segmentFlags()));
            } else if (r.status() != Blk.STATUS_UNSUPP) {
                findings.kept(DISCARD_UNMAP_CLEAR, r);
            }
        });
    }
}
