package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.RingEvent;

import java.util.Set;

/**
 * Data sizes by request type: IN's device-writable and OUT's device-readable data a multiple of 512 bytes
 * (DRV-BLK-017); DISCARD, WRITE_ZEROES and SECURE_ERASE data a multiple of the 16-byte segment (DRV-BLK-018);
 * GET_ID's device-writable data exactly 20 bytes (DRV-BLK-019). Data is what the chain holds between the 16-byte
 * header and the status byte, whatever the device answered.
 */
public final class BlkDataSizeCheck implements Check {
    public static final String SECTOR_MULTIPLE = "DRV-BLK-017";
    public static final String SEGMENT_MULTIPLE = "DRV-BLK-018";
    public static final String GET_ID_TWENTY = "DRV-BLK-019";

    @Override
    public Set<String> decides() {
        return Set.of(SECTOR_MULTIPLE, SEGMENT_MULTIPLE, GET_ID_TWENTY);
    }

    @Override
    public String name() {
        return "blk data sizes";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        for (RingEvent.BlkRequest r : session.events(RingEvent.BlkRequest.class)) {
            long t = r.type();
            if (t == Blk.T_IN || t == Blk.T_OUT) {
                long bytes = t == Blk.T_IN ? r.dataIn() : r.dataOut();
                judge(findings, SECTOR_MULTIPLE, r, bytes % Blk.SECTOR == 0,
                        Blk.request(r) + ": " + bytes + " data bytes, not a multiple of 512");
            } else if (t == Blk.T_DISCARD || t == Blk.T_WRITE_ZEROES || t == Blk.T_SECURE_ERASE) {
                judge(findings, SEGMENT_MULTIPLE, r, r.dataOut() % Blk.SEGMENT == 0,
                        Blk.request(r) + ": " + r.dataOut() + " data bytes, not a multiple of the 16-byte segment");
            } else if (t == Blk.T_GET_ID) {
                judge(findings, GET_ID_TWENTY, r, r.dataIn() == Blk.ID_BYTES,
                        Blk.request(r) + ": " + r.dataIn() + " device-writable data bytes, not exactly 20");
            }
        }
    }

    private static void judge(Findings findings, String id, RingEvent.BlkRequest r, boolean ok, String summary) {
        if (ok) findings.kept(id, r);
        else findings.broke(id, r.queue(), r, summary);
    }
}
