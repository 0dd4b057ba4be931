package dev.pvkit.sdk.xen.host;

import dev.pvkit.sdk.xen.EventChannels;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenNumbers;
import dev.pvkit.sdk.xen.XenPlatform;
import dev.pvkit.sdk.xen.XenStore;

/** The real hypervisor, from the domain this JVM runs in: XenStore, grant mappings and event channels. */
public final class HostXen implements XenPlatform {
    private final HostXenStore store;
    private final HostGrants grants;
    private final HostEventChannels events;
    private final int domid;

    private HostXen(HostXenStore store, HostGrants grants, HostEventChannels events, int domid) {
        this.store = store;
        this.grants = grants;
        this.events = events;
        this.domid = domid;
    }

    /** Opens the three libraries; fails with a {@link XenException} that says what is missing. */
    public static HostXen open() {
        XenLibraries.C libc = XenLibraries.load("c", "libc.so.6", XenLibraries.C.class);
        HostXenStore store = new HostXenStore(XenLibraries.load("xenstore", "libxenstore.so.4", XenLibraries.XenStoreLib.class), libc);
        HostGrants grants = new HostGrants(XenLibraries.load("xengnttab", "libxengnttab.so.1", XenLibraries.GntTabLib.class));
        HostEventChannels events = new HostEventChannels(XenLibraries.load("xenevtchn", "libxenevtchn.so.1", XenLibraries.EvtchnLib.class));
        String text = store.read("domid").orElseThrow(() -> new XenException("XenStore has no domid node for this domain"));
        int domid = (int) XenNumbers.u32(text).orElseThrow(() -> new XenException("domid node is not a number: " + text));
        return new HostXen(store, grants, events, domid);
    }

    @Override
    public int domid() {
        return domid;
    }

    @Override
    public XenStore store() {
        return store;
    }

    @Override
    public GrantMapper grants() {
        return grants;
    }

    @Override
    public EventChannels events() {
        return events;
    }

    @Override
    public void close() {
        events.close();
        grants.close();
        store.close();
    }
}
