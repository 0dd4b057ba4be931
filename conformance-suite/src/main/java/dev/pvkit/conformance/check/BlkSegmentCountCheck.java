package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.Set;

/**
 * Segments per request: a DISCARD holds at most {@code max_discard_seg} (DRV-BLK-020), a WRITE_ZEROES at most
 * {@code max_write_zeroes_seg} (DRV-BLK-022). The limits are the device's at the session's latest feature
 * negotiation and count only when that request's feature was negotiated (the config field is valid only then);
 * otherwise nothing is decided. Segments are the whole 16-byte segments in the data.
 */
public final class BlkSegmentCountCheck implements Check {
    public static final String DISCARD_SEGMENTS = "DRV-BLK-020";
    public static final String WRITE_ZEROES_SEGMENTS = "DRV-BLK-022";

    @Override
    public Set<String> decides() {
        return Set.of(DISCARD_SEGMENTS, WRITE_ZEROES_SEGMENTS);
    }

    @Override
    public String name() {
        return "blk segment counts";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Blk.eachRequest(session, (r, facts) -> {
            boolean discard = r.type() == Blk.T_DISCARD;
            if (!discard && r.type() != Blk.T_WRITE_ZEROES) return;
            if (!VirtioFeatures.has(facts.negotiatedFeatures(), discard ? Blk.F_DISCARD : Blk.F_WRITE_ZEROES)) return;
            long max = discard ? facts.maxDiscardSeg() : facts.maxWriteZeroesSeg();
            if (max <= 0) return;
            String id = discard ? DISCARD_SEGMENTS : WRITE_ZEROES_SEGMENTS;
            if (r.segments() > max) {
                findings.broke(id, r.queue(), r, String.format("%s: %d segments, more than %s = %d", Blk.request(r),
                        r.segments(), discard ? "max_discard_seg" : "max_write_zeroes_seg", max));
            } else {
                findings.kept(id, r);
            }
        });
    }
}
