package dev.pvkit.sdk.xen.emulated;

import dev.pvkit.sdk.xen.EventChannels;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.XenPlatform;
import dev.pvkit.sdk.xen.XenStore;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One emulated domain. As a {@link XenPlatform} it is what a back-end in that domain uses; its guest-side methods
 * ({@link #allocatePage}, {@link #grantAccess}, {@link #allocUnbound}, …) are what a front-end kernel would do
 * through hypercalls.
 */
public final class EmulatedDomain implements XenPlatform {
    private final EmulatedXen xen;
    private final int domid;
    private final GrantTable grants;
    private final EventPorts ports;
    private final Dispatcher events;
    private final Dispatcher watches;
    private final EmulatedStore store;

    EmulatedDomain(EmulatedXen xen, int domid, StoreTree tree, Object eventLock) {
        this.xen = xen;
        this.domid = domid;
        this.grants = new GrantTable(domid);
        this.events = new Dispatcher("xen-dom" + domid + "-events");
        this.watches = new Dispatcher("xen-dom" + domid + "-watches");
        this.ports = new EventPorts(domid, events, eventLock);
        this.store = new EmulatedStore(tree, watches);
    }

    @Override
    public int domid() {
        return domid;
    }

    @Override
    public XenStore store() {
        return store;
    }

    /** The domain's home in XenStore, {@code /local/domain/<domid>}. */
    public String home() {
        return "/local/domain/" + domid;
    }

    // ------------------------------------------------------------------ guest side

    /** A zeroed page of this domain's memory (direct, little-endian). */
    public ByteBuffer allocatePage() {
        return ByteBuffer.allocateDirect(GrantMapping.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Grants {@code page} to domain {@code grantee}; the reference to publish. */
    public int grantAccess(int grantee, ByteBuffer page, boolean readOnly) {
        return grants.grant(grantee, page, readOnly);
    }

    /** Ends access to {@code ref}; false while the grantee still maps it (the front-end must retry later). */
    public boolean endAccess(int ref) {
        return grants.revoke(ref);
    }

    /** Whether the grantee maps {@code ref} now. */
    public boolean grantInUse(int ref) {
        return grants.mapped(ref);
    }

    /** ALLOC_UNBOUND: a port reserved for {@code remoteDomid}; {@code onEvent} runs on this domain's event thread. */
    public int allocUnbound(int remoteDomid, Runnable onEvent) {
        return ports.allocUnbound(remoteDomid, onEvent);
    }

    /** SEND on one of this domain's ports. */
    public void send(int port) {
        ports.send(port);
    }

    public void closePort(int port) {
        ports.close(port);
    }

    // ------------------------------------------------------------------ back-end side

    @Override
    public GrantMapper grants() {
        return (owner, refs, writable) -> {
            GrantTable table = xen.existing(owner).grants;
            List<ByteBuffer> pages = new ArrayList<>();
            List<Integer> done = new ArrayList<>();
            try {
                for (int ref : refs) {
                    pages.add(table.map(domid, ref, writable));
                    done.add(ref);
                }
            } catch (GrantException e) {
                done.forEach(table::unmap);
                throw e;
            }
            return new Mapping(table, refs.clone(), pages, writable);
        };
    }

    @Override
    public EventChannels events() {
        return (remoteDomid, remotePort, onEvent) -> {
            EmulatedDomain remote = xen.existing(remoteDomid);
            int local = ports.bindInterdomain(remote.ports, remotePort, onEvent);
            return new EventChannels.EventChannel() {
                @Override
                public int localPort() {
                    return local;
                }

                @Override
                public void notifyPeer() {
                    ports.send(local);
                }

                @Override
                public void close() {
                    ports.close(local);
                }
            };
        };
    }

    void drain() throws InterruptedException {
        watches.drain();
        events.drain();
    }

    void shutdown() {
        events.close();
        watches.close();
    }

    private static final class Mapping implements GrantMapping {
        private final GrantTable table;
        private final int[] refs;
        private final List<ByteBuffer> pages;
        private final boolean writable;
        private boolean closed;

        Mapping(GrantTable table, int[] refs, List<ByteBuffer> pages, boolean writable) {
            this.table = table;
            this.refs = refs;
            this.pages = pages;
            this.writable = writable;
        }

        @Override
        public int pages() {
            return pages.size();
        }

        @Override
        public ByteBuffer page(int i) {
            if (closed) throw new IllegalStateException("unmapped");
            ByteBuffer p = pages.get(i).duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
            return writable ? p : p.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public boolean writable() {
            return writable;
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            for (int ref : refs) table.unmap(ref);
        }
    }
}
