package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.Set;

/**
 * DRV-BLK-013: no IN or OUT reaches past {@code capacity}. The request's last byte is at
 * {@code sector × 512 + data length}; the capacity is the one the device presented at the session's latest
 * feature negotiation ({@link VhostUserEvent.BlkDeviceFacts}); without it nothing is decided. Requests without data
 * read or write nothing and are not judged; DISCARD and WRITE_ZEROES ranges are not reported by the device and
 * are not judged here either.
 */
public final class BlkCapacityCheck implements Check {
    public static final String NOT_PAST_CAPACITY = "DRV-BLK-013";

    @Override
    public Set<String> decides() {
        return Set.of(NOT_PAST_CAPACITY);
    }

    @Override
    public String name() {
        return "blk capacity";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Blk.eachRequest(session, (r, facts) -> {
            long bytes = r.type() == Blk.T_IN ? r.dataIn() : r.type() == Blk.T_OUT ? r.dataOut() : 0;
            if (bytes <= 0) return;
            long capacity = facts.capacitySectors();
            long sectors = (bytes + Blk.SECTOR - 1) / Blk.SECTOR;
            boolean past = Long.compareUnsigned(r.sector(), capacity) > 0 || sectors > capacity - r.sector();
            if (past) {
                findings.broke(NOT_PAST_CAPACITY, r.queue(), r, String.format("%s reaches sector %s, past the capacity of %d sectors",
                        Blk.request(r), endSector(r.sector(), sectors), capacity));
            } else {
                findings.kept(NOT_PAST_CAPACITY, r);
            }
        });
    }

    /** sector + sectors as an unsigned decimal, exact even past 2^64. */
    private static String endSector(long sector, long sectors) {
        return new java.math.BigInteger(Long.toUnsignedString(sector)).add(java.math.BigInteger.valueOf(sectors)).toString();
    }
}
