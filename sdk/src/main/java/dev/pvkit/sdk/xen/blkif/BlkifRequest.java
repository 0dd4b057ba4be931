package dev.pvkit.sdk.xen.blkif;

import java.util.List;

/**
 * One blkif request as decoded from the back-end's private copy of its slot. Fields that the operation does not
 * use are zero. For INDIRECT, {@code operation} is 6, {@code indirectOp} the data direction, and the segments are
 * read later from the {@code indirectRefs} pages.
 */
public record BlkifRequest(int operation, int nrSegments, int handle, long id, long sector, List<Segment> segments,
                           int discardFlags, long discardSectors, int indirectOp, int[] indirectRefs) {

    /** One data segment: 512-byte sectors {@code first..last} (inclusive) of the granted frame {@code ref}. */
    public record Segment(int ref, int firstSect, int lastSect) {
        public int bytes() {
            return (lastSect - firstSect + 1) * 512;
        }
    }

    public BlkifRequest {
        segments = List.copyOf(segments);
        indirectRefs = indirectRefs.clone();
    }

    /** The direction of the data: READ or WRITE for an INDIRECT request, the operation otherwise. */
    public int dataOperation() {
        return operation == BlkifOp.INDIRECT ? indirectOp : operation;
    }

    public String describe() {
        return BlkifOp.name(operation) + (operation == BlkifOp.INDIRECT ? "(" + BlkifOp.name(indirectOp) + ")" : "")
                + " id=" + Long.toUnsignedString(id) + " sector=" + sector + " segments=" + nrSegments;
    }
}
