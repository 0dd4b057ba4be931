package dev.pvkit.conformance.observe;

import dev.pvkit.backends.xenblk.XenBlkListener;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns what blkback reports into {@link XenEvent}s, stamped with the host clock as every other source is.
 * Thread-safe: XenStore and ring threads report concurrently.
 */
public final class XenRecorder implements XenObserver, XenBlkListener, dev.pvkit.backends.xennet.XenNetListener {
    private final List<Event> events = new ArrayList<>();
    private final String device;

    /** A recorder of one device of kind {@code device}: "vbd" or "vif". */
    public XenRecorder(String device) {
        this.device = device;
    }

    /** A recorder of a block device. */
    public XenRecorder() {
        this("vbd");
    }

    private static long now() {
        return EventLog.nowMicros();
    }

    private synchronized void add(Event e) {
        events.add(e);
    }

    /** Everything so far, in the order it was reported. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    @Override
    public void frontendState(XenbusState state, String raw) {
        add(new XenEvent.FrontendState(now(), state, raw));
    }

    @Override
    public void backendState(XenbusState state) {
        add(new XenEvent.BackendState(now(), state, device));
    }

    @Override
    public void frontendNode(String key, String value) {
        add(new XenEvent.FrontendNode(now(), key, value));
    }

    @Override
    public void connectRefused(String requirement, String detail) {
        add(new XenEvent.ConnectRefused(now(), requirement, detail));
    }

    @Override
    public void grantRefused(int ref, int status, boolean writable, String purpose) {
        add(new XenEvent.GrantRefused(now(), ref, status, writable, purpose));
    }

    @Override
    public void ringAttached(int ring, int pages, int entries, int reqProd, int reqEvent, int rspProd, int rspEvent,
                             boolean restZero) {
        add(new XenEvent.RingAttached(now(), ring, pages, entries, reqProd, reqEvent, rspProd, rspEvent, restZero));
    }

    @Override
    public void requestsPublished(int ring, int previous, int current) {
        add(new XenEvent.RequestsPublished(now(), ring, previous, current));
    }

    @Override
    public void ringBroken(int ring, String requirement, String detail) {
        add(new XenEvent.RingBroken(now(), ring, requirement, detail));
    }

    @Override
    public void transmitted(int queue, int slots, int extras, int size, boolean gso, String refused) {
        add(new XenEvent.NetTransmit(now(), queue, slots, extras, size, gso, refused));
    }

    @Override
    public void answered(int ring, BlkifRequest r, int status, String refused) {
        add(new XenEvent.BlkRequest(now(), ring, r.operation(), r.dataOperation(), r.nrSegments(), r.sector(), r.id(),
                status, refused));
    }
}
