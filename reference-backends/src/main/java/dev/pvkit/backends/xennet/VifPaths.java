package dev.pvkit.backends.xennet;

import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusDirectories;

import java.util.Map;

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
        Map<String, String> nodes = Map.of("mac", Ethernet.formatMac(mac), "handle", Integer.toString(devid));
        XenbusDirectories.create(store, backendDomid, backend(), frontendDomid, frontend(), nodes, nodes);
    }
}
