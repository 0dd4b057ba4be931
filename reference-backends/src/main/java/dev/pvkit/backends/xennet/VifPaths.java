package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusState;

/**
 * Where one virtual network interface lives in XenStore: {@code /local/domain/<be>/backend/vif/<fe>/<devid>} and
 * {@code /local/domain/<fe>/device/vif/<devid>}, each naming the other.
 */
public record VifPaths(int backendDomid, int frontendDomid, int devid, String kind) {

    /** The back-end directory kind PVKit uses on a real host, where the kernel's xen-netback watches {@code backend/vif}. */
    public static final String PVKIT_KIND = "pvkit-vif";

    /** A vif under the standard {@code backend/vif} directory. */
    public VifPaths(int backendDomid, int frontendDomid, int devid) {
        this(backendDomid, frontendDomid, devid, "vif");
    }

    public String backend() {
        return "/local/domain/" + backendDomid + "/backend/" + kind + "/" + frontendDomid + "/" + devid;
    }

    public String frontend() {
        return "/local/domain/" + frontendDomid + "/device/vif/" + devid;
    }

    /** What the toolstack writes before either end starts: both directories, state Initialising, and the MAC. */
    public void create(XenStore store, long mac) {
        String m = Ethernet.formatMac(mac);
        // Each end owns its directory and the peer may read it; nodes made below inherit that.
        store.write(backend(), "");
        store.setPermissions(backend(), backendDomid, frontendDomid);
        store.write(frontend(), "");
        store.setPermissions(frontend(), frontendDomid, backendDomid);
        store.inTransaction(t -> {
            t.write(backend() + "/frontend", frontend());
            t.write(backend() + "/frontend-id", Integer.toString(frontendDomid));
            t.write(backend() + "/online", "1");
            t.write(backend() + "/mac", m);
            t.write(backend() + "/handle", Integer.toString(devid));
            t.write(backend() + "/state", XenbusState.INITIALISING.text());
            t.write(frontend() + "/backend", backend());
            t.write(frontend() + "/backend-id", Integer.toString(backendDomid));
            t.write(frontend() + "/mac", m);
            t.write(frontend() + "/handle", Integer.toString(devid));
            t.write(frontend() + "/state", XenbusState.INITIALISING.text());
        });
    }
}
