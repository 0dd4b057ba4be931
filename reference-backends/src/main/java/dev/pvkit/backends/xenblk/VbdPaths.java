package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.XenNumbers;
import dev.pvkit.sdk.xen.XenbusDirectories;
import dev.pvkit.sdk.xen.XenStore;

import java.util.Map;

/**
 * Where one virtual block device lives in XenStore: the back-end's directory
 * ({@code /local/domain/<be>/backend/<kind>/<fe>/<devid>}, kind {@code vbd} by default) and the front-end's
 * ({@code /local/domain/<fe>/device/vbd/<devid>}), each naming the other.
 */
public record VbdPaths(int backendDomid, int frontendDomid, int devid, String kind) {

    /**
     * The back-end directory kind PVKit uses on a real host: the front-end follows whatever its {@code backend} node
     * names, and under {@code backend/vbd} the kernel's own xen-blkback, if loaded, would take the device too.
     */
    public static final String PVKIT_KIND = "pvkit-vbd";

    /** A vbd under the standard {@code backend/vbd} directory. */
    public VbdPaths(int backendDomid, int frontendDomid, int devid) {
        this(backendDomid, frontendDomid, devid, "vbd");
    }

    public String backend() {
        return "/local/domain/" + backendDomid + "/backend/" + kind + "/" + frontendDomid + "/" + devid;
    }

    public String frontend() {
        return "/local/domain/" + frontendDomid + "/device/vbd/" + devid;
    }

    /**
     * What the toolstack does before either end starts (xl, or the rig): both directories with state Initialising,
     * each pointing at the other. {@code virtualDevice} is the guest's device number (e.g. 51712 for xvda).
     */
    public void create(XenStore store, int virtualDevice) {
        XenbusDirectories.create(store, backendDomid, backend(), frontendDomid, frontend(), Map.of(),
                Map.of("virtual-device", Integer.toString(virtualDevice), "device-type", "disk"));
    }

    /** Reads the paths back from a back-end directory the toolstack made (its {@code frontend-id} node). */
    public static VbdPaths of(XenStore store, int backendDomid, int frontendDomid, int devid) {
        VbdPaths p = new VbdPaths(backendDomid, frontendDomid, devid);
        String fe = store.read(p.backend() + "/frontend-id").orElse(null);
        if (fe == null || XenNumbers.u32(fe).orElse(-1) != frontendDomid) {
            throw new IllegalArgumentException("no vbd back-end directory at " + p.backend());
        }
        return p;
    }
}
