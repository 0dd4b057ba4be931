package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.EventFd;

/**
 * The memory set-up messages: the memory table (SET_MEM_TABLE, ADD_MEM_REG, REM_MEM_REG, GET_MAX_MEM_SLOTS), the
 * dirty log (SET_LOG_BASE, SET_LOG_FD) and the inflight area (GET/SET_INFLIGHT_FD), each handed to the part that
 * keeps it: {@link MemoryRegions}, {@link DirtyLogging}, {@link InflightTracking}.
 */
final class MemorySetup {
    private final MemoryRegions regions;
    private final DirtyLogging dirtyLog;
    private final InflightTracking inflight;
    private final Rings rings;

    MemorySetup(MemoryRegions regions, DirtyLogging dirtyLog, InflightTracking inflight, Rings rings) {
        this.regions = regions;
        this.dirtyLog = dirtyLog;
        this.inflight = inflight;
        this.rings = rings;
    }

    Outcome setTable(Bodies.MemoryTable t, Message m) {
        regions.setTable(t, m);
        return Outcome.handled("regions=" + regions.count());
    }

    Outcome addRegion(Bodies.SingleRegion r, Message m) {
        boolean fresh = regions.add(r.region(), m);
        return Outcome.handled(Summary.region(r.region()) + (fresh ? "" : " (added again: kept until removed as often)"));
    }

    Outcome removeRegion(Bodies.SingleRegion r) {
        boolean gone = regions.remove(r.region());
        return Outcome.handled(Summary.region(r.region()) + (gone ? "" : " (still added by another)"));
    }

    Outcome getMaxSlots() {
        return Outcome.replied(MemoryRegions.MAX_SLOTS, "slots=" + MemoryRegions.MAX_SLOTS);
    }

    /** Its reply is a status: 0 here; a refusal's 1 is the session's, as it answers every refusal. */
    Outcome setLogBase(Bodies.Log l, Message m) {
        dirtyLog.setBase(l, m);
        return Outcome.replied(0, Summary.hex("size", l.mmapSize()) + " " + Summary.hex("offset", l.mmapOffset()));
    }

    Outcome setLogFd(Message m) {
        dirtyLog.setFd(EventFd.adopt(m.takeFd(0)));
        return Outcome.handled(Summary.NONE);
    }

    Outcome getInflightFd(Bodies.Inflight requested) {
        InflightTracking.HandedOut area = inflight.handOut(requested, rings.anyStarted());
        return Outcome.repliedWithFd(area.body().encode(), area.fd(), Summary.inflight(area.body()));
    }

    Outcome setInflightFd(Bodies.Inflight i, Message m) {
        inflight.adopt(i, m, rings.anyStarted());
        return Outcome.handled(Summary.inflight(i));
    }
}
