package dev.pvkit.sdk.xen;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.pvkit.sdk.xen.RingGeometry.REQ_EVENT;
import static dev.pvkit.sdk.xen.RingGeometry.REQ_PROD;
import static dev.pvkit.sdk.xen.RingGeometry.RSP_EVENT;
import static dev.pvkit.sdk.xen.RingGeometry.RSP_PROD;

/**
 * The back-end's end of one shared ring (spec §9.1–§9.2): consumes requests, produces responses, and decides when
 * each side must be woken. Private counters ({@code req_cons}, {@code rsp_prod_pvt}) live here; the shared header
 * belongs to both ends and is re-read on every decision, since the front-end may write anything into it.
 *
 * <p>One thread uses a ring at a time. Once the front-end breaks the flow limit the ring is {@link #broken()} and
 * serves nothing more.
 */
public final class BackendRing {
    private final int id;
    private final RingPages memory;
    private final int slotSize;
    private final int entries;
    private final XenObserver observer;
    private int reqCons;
    private int rspProdPvt;
    private int lastSeenProd;
    /** req_prod as {@link #available()} last validated it: takes and peeks go by this, never by a fresh read. */
    private int prodSnapshot;
    private boolean broken;

    /** Attaches to the ring as the front-end initialised it: private counters start at the shared producers. */
    public BackendRing(int id, RingPages memory, int slotSize, XenObserver observer) {
        this.id = id;
        this.memory = memory;
        this.slotSize = slotSize;
        this.entries = RingGeometry.entries(memory.size(), slotSize);
        this.observer = observer;
        int reqProd = memory.headerAcquire(REQ_PROD);
        int rspProd = memory.headerAcquire(RSP_PROD);
        // A fresh ring has both producers at 0; attaching to anything else (a reconnect) starts where the responses
        // left off, and the requests between are unanswered work.
        this.reqCons = rspProd;
        this.rspProdPvt = rspProd;
        this.lastSeenProd = rspProd;
        this.prodSnapshot = rspProd;
        observer.ringAttached(id, memory.pageCount(), entries, reqProd, memory.headerAcquire(REQ_EVENT), rspProd,
                memory.headerAcquire(RSP_EVENT), memory.zero(16, RingGeometry.HEADER));
    }

    public int id() {
        return id;
    }

    public int entries() {
        return entries;
    }

    public int slotSize() {
        return slotSize;
    }

    public int requestConsumer() {
        return reqCons;
    }

    public int responseProducer() {
        return rspProdPvt;
    }

    public boolean broken() {
        return broken;
    }

    /** Requests consumed but not yet answered. */
    public int outstanding() {
        return reqCons - rspProdPvt;
    }

    /**
     * How many published requests wait to be consumed. A {@code req_prod} more than a ring's worth ahead of the
     * responses (or behind the consumer) is a front-end that overran the ring: the ring breaks [DEV-XRING-004].
     */
    public int available() {
        if (broken) return 0;
        int prod = memory.headerAcquire(REQ_PROD);
        if (prod != lastSeenProd) {
            observer.requestsPublished(id, lastSeenProd, prod);
            lastSeenProd = prod;
        }
        if (Integer.compareUnsigned(prod - rspProdPvt, entries) > 0 || Integer.compareUnsigned(prod - reqCons, entries) > 0) {
            breakRing("DEV-XRING-004", "req_prod " + Integer.toUnsignedString(prod) + " is "
                    + Integer.toUnsignedString(prod - rspProdPvt) + " ahead of the responses; the ring holds " + entries);
            return 0;
        }
        prodSnapshot = prod;
        return prod - reqCons;
    }

    /**
     * Requests published as of the last {@link #available()}: what the caller may take or peek now. The front-end may
     * move {@code req_prod} meanwhile (even backwards); the consumer goes by the value it validated.
     */
    private int snapshotAvailable() {
        return broken ? 0 : prodSnapshot - reqCons;
    }

    /**
     * Copies the next request into {@code dst} (at least a slot's room) and consumes it: the copy is what the
     * back-end validates and uses, never the slot [DEV-XRING-006]. The caller checked {@link #available()}, and only
     * what that call counted can be taken.
     */
    public ByteBuffer takeRequest(ByteBuffer dst) {
        if (snapshotAvailable() <= 0) throw new IllegalStateException("no request to take: call available() first");
        dst.clear().limit(slotSize);
        memory.copyOut(RingGeometry.slotOffset(reqCons, entries, slotSize), dst);
        reqCons++;
        return dst.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Copies the request {@code ahead} places past the consumer into {@code dst} without consuming it, or returns
     * null when fewer were published as of the last {@link #available()}: protocols whose messages span several slots (netif) look at a whole message
     * before they take any of it.
     */
    public ByteBuffer peekRequest(int ahead, ByteBuffer dst) {
        if (ahead < 0 || ahead >= snapshotAvailable()) return null;
        dst.clear().limit(slotSize);
        memory.copyOut(RingGeometry.slotOffset(reqCons + ahead, entries, slotSize), dst);
        return dst.flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Writes {@code response} (at most a slot) into the next response slot, unpublished until {@link #pushResponses()}. */
    public void putResponse(ByteBuffer response) {
        if (response.remaining() > slotSize) throw new IllegalArgumentException("response larger than a slot");
        if (reqCons - rspProdPvt <= 0) throw new IllegalStateException("a response without a consumed request");
        memory.copyIn(RingGeometry.slotOffset(rspProdPvt, entries, slotSize), response);
        rspProdPvt++;
    }

    /**
     * Publishes the responses written so far (release store of {@code rsp_prod} [DEV-XRING-003]), then a full fence,
     * then reads the front-end's {@code rsp_event}: true when the front-end must be notified [DEV-XRING-007].
     */
    public boolean pushResponses() {
        int old = memory.headerAcquire(RSP_PROD);
        if (old == rspProdPvt) return false;
        memory.headerRelease(RSP_PROD, rspProdPvt);
        VarHandle.fullFence();
        int event = memory.headerAcquire(RSP_EVENT);
        boolean notify = RingGeometry.mustNotify(old, rspProdPvt, event);
        observer.responsesPushed(id, rspProdPvt, event, notify);
        return notify;
    }

    /**
     * The final check before idling [DEV-XRING-008]: with nothing left, re-arms {@code req_event = req_cons + 1},
     * fences, and looks again. True when requests arrived meanwhile (keep working).
     */
    public boolean finalCheckForRequests() {
        if (available() > 0) return true;
        if (broken) return false;
        memory.headerRelease(REQ_EVENT, reqCons + 1);
        VarHandle.fullFence();
        return available() > 0;
    }

    /**
     * For a consumer waiting on a message that is only partly published: asks to be woken by the next request the
     * front-end publishes ({@code req_event = req_prod + 1}), fences, and says whether one came meanwhile.
     */
    public boolean awaitMoreRequests() {
        if (broken) return false;
        int prod = prodSnapshot;
        memory.headerRelease(REQ_EVENT, prod + 1);
        VarHandle.fullFence();
        // Only a step forward counts: a front-end that moves req_prod back and forth must not keep a thread busy.
        int now = memory.headerAcquire(REQ_PROD);
        return now - prod > 0 && Integer.compareUnsigned(now - prod, entries) <= 0;
    }

    private void breakRing(String requirement, String detail) {
        broken = true;
        observer.ringBroken(id, requirement, detail);
    }
}
