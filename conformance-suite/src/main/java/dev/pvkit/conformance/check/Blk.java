package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.BlkTypes;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

/** virtio-blk numbers (spec 11) and evidence wording shared by the blk checks. */
final class Blk {
    private Blk() {
    }

    static final long T_IN = 0;
    static final long T_OUT = 1;
    static final long T_FLUSH = 4;
    static final long T_GET_ID = 8;
    static final long T_DISCARD = 11;
    static final long T_WRITE_ZEROES = 13;
    static final long T_SECURE_ERASE = 14;

    static final int F_RO = 5;
    static final int F_DISCARD = 13;
    static final int F_WRITE_ZEROES = 14;

    static final int SECTOR = 512;
    static final int SEGMENT = 16;
    static final int ID_BYTES = 20;
    static final int UNMAP = 1;
    static final int STATUS_UNSUPP = 2;

    /** What a blk check does with one request and the device facts in force when it came. */
    interface RequestVisitor {
        void visit(RingEvent.BlkRequest request, VhostUserEvent.BlkDeviceFacts facts);
    }

    /**
     * Visits the session's requests in order, each with the device facts of the latest negotiation before it;
     * requests before any negotiation are skipped, since nothing about them can be judged.
     */
    static void eachRequest(DriverSession session, RequestVisitor visitor) {
        VhostUserEvent.BlkDeviceFacts facts = null;
        for (Event e : session.events()) {
            if (e instanceof VhostUserEvent.BlkDeviceFacts f) facts = f;
            else if (e instanceof RingEvent.BlkRequest r && facts != null) visitor.visit(r, facts);
        }
    }

    /** E.g. "OUT at sector 2040 with 4096 data bytes out, 0 in". */
    static String request(RingEvent.BlkRequest r) {
        return String.format("%s at sector %s with %d data bytes out, %d in", BlkTypes.name(r.type()),
                Long.toUnsignedString(r.sector()), r.dataOut(), r.dataIn());
    }
}
