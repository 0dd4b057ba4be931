package dev.pvkit.sdk.xen.emulated;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-process hypervisor: domains by id, their grant tables and event ports, and the XenStore tree they share.
 * Domain 0 is the back-end's (dom0, or a driver domain); front-ends run in domains it {@link #domain creates}.
 */
public final class EmulatedXen implements AutoCloseable {
    private final StoreTree store = new StoreTree();
    private final Object eventLock = new Object();
    private final Map<Integer, EmulatedDomain> domains = new ConcurrentHashMap<>();

    /** The domain {@code domid}, created on first use with its {@code /local/domain/<domid>} directory. */
    public EmulatedDomain domain(int domid) {
        if (domid < 0 || domid >= 0x7FF0) throw new IllegalArgumentException("not a domain id: " + domid);
        return domains.computeIfAbsent(domid, id -> {
            store.write("/local/domain/" + id + "/domid", Integer.toString(id));
            return new EmulatedDomain(this, id, store, eventLock);
        });
    }

    EmulatedDomain existing(int domid) {
        EmulatedDomain d = domains.get(domid);
        if (d == null) throw new dev.pvkit.sdk.xen.GrantException(0, dev.pvkit.sdk.xen.GrantStatus.BAD_DOMAIN);
        return d;
    }

    /** Waits until every domain's queued event and watch callbacks have run. */
    public void quiesce() throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            for (EmulatedDomain d : domains.values()) d.drain();
        }
    }

    @Override
    public void close() {
        domains.values().forEach(EmulatedDomain::shutdown);
        domains.clear();
    }
}
