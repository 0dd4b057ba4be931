package dev.pvkit.sdk.xen;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

import static dev.pvkit.sdk.xen.RingGeometry.REQ_EVENT;
import static dev.pvkit.sdk.xen.RingGeometry.REQ_PROD;
import static dev.pvkit.sdk.xen.RingGeometry.RSP_EVENT;
import static dev.pvkit.sdk.xen.RingGeometry.RSP_PROD;

/**
 * The front-end's end of a shared ring (spec §9.1–§9.2), for PVKit's Java front-ends: initialises the header,
 * queues requests at its private producer, publishes them with the notify rule, and consumes responses with the
 * final check before idling. One thread uses it at a time.
 */
public final class FrontendRing {
    private final RingPages memory;
    private final int slotSize;
    private final int entries;
    private int reqProdPvt;
    private int rspCons;

    /** Initialises the header of fresh pages: producers 0, event indices 1, the rest zero [DRV-XRING-001]. */
    public FrontendRing(RingPages memory, int slotSize) {
        this(memory, slotSize, 0);
    }

    /** A ring whose indices start at {@code start} (tests of wrap-around start near 2^32). */
    public FrontendRing(RingPages memory, int slotSize, int start) {
        this.memory = memory;
        this.slotSize = slotSize;
        this.entries = RingGeometry.entries(memory.size(), slotSize);
        ByteBuffer zero = ByteBuffer.allocate(RingGeometry.HEADER);
        memory.copyIn(0, zero);
        memory.headerRelease(REQ_PROD, start);
        memory.headerRelease(RSP_PROD, start);
        memory.headerRelease(REQ_EVENT, start + 1);
        memory.headerRelease(RSP_EVENT, start + 1);
        reqProdPvt = start;
        rspCons = start;
    }

    public int entries() {
        return entries;
    }

    /** Free slots: requests may run at most a ring ahead of the responses consumed [DRV-XRING-004]. */
    public int free() {
        return entries - (reqProdPvt - rspCons);
    }

    /** Writes a request at the private producer; it is not visible until {@link #pushRequests()}. */
    public void queueRequest(ByteBuffer request) {
        if (free() <= 0) throw new IllegalStateException("ring full");
        memory.copyIn(RingGeometry.slotOffset(reqProdPvt, entries, slotSize), request);
        reqProdPvt++;
    }

    /** Publishes queued requests (release store [DRV-XRING-003]), fences, and says whether to notify [DRV-XRING-005]. */
    public boolean pushRequests() {
        int old = memory.headerAcquire(REQ_PROD);
        if (old == reqProdPvt) return false;
        memory.headerRelease(REQ_PROD, reqProdPvt);
        VarHandle.fullFence();
        return RingGeometry.mustNotify(old, reqProdPvt, memory.headerAcquire(REQ_EVENT));
    }

    /** The next unconsumed response copied into {@code dst}, or null when there is none. */
    public ByteBuffer takeResponse(ByteBuffer dst) {
        int prod = memory.headerAcquire(RSP_PROD);
        if (prod == rspCons) return null;
        if (Integer.compareUnsigned(prod - rspCons, entries) > 0) {
            throw new XenException("the back-end overran the response ring: rsp_prod " + Integer.toUnsignedString(prod)
                    + ", consumed " + Integer.toUnsignedString(rspCons));
        }
        dst.clear().limit(slotSize);
        memory.copyOut(RingGeometry.slotOffset(rspCons, entries, slotSize), dst);
        rspCons++;
        return dst.flip();
    }

    /** The final check before idling: re-arm {@code rsp_event}, fence, look again [DRV-XRING-007]. */
    public boolean finalCheckForResponses() {
        if (memory.headerAcquire(RSP_PROD) != rspCons) return true;
        memory.headerRelease(RSP_EVENT, rspCons + 1);
        VarHandle.fullFence();
        return memory.headerAcquire(RSP_PROD) != rspCons;
    }

    /** Requests published or queued whose responses are not consumed yet. */
    public int outstanding() {
        return reqProdPvt - rspCons;
    }
}
