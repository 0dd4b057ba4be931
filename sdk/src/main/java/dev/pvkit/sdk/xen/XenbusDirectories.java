package dev.pvkit.sdk.xen;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the toolstack writes for one split device before either end starts (spec §9.13): a back-end directory and
 * a front-end directory, each owned by its end and readable by the other, each naming the other, both in state
 * Initialising, plus the device type's own nodes.
 */
public final class XenbusDirectories {
    private XenbusDirectories() {
    }

    public static void create(XenStore store, int backendDomid, String backend, int frontendDomid, String frontend,
                              Map<String, String> backendNodes, Map<String, String> frontendNodes) {
        // Each end owns its directory and the peer may read it; the nodes made below inherit that.
        store.write(backend, "");
        store.setPermissions(backend, backendDomid, frontendDomid);
        store.write(frontend, "");
        store.setPermissions(frontend, frontendDomid, backendDomid);
        Map<String, String> be = new LinkedHashMap<>();
        be.put("frontend", frontend);
        be.put("frontend-id", Integer.toString(frontendDomid));
        be.put("online", "1");
        be.putAll(backendNodes);
        be.put("state", XenbusState.INITIALISING.text());
        Map<String, String> fe = new LinkedHashMap<>();
        fe.put("backend", backend);
        fe.put("backend-id", Integer.toString(backendDomid));
        fe.putAll(frontendNodes);
        fe.put("state", XenbusState.INITIALISING.text());
        store.inTransaction(t -> {
            be.forEach((k, v) -> t.write(backend + "/" + k, v));
            fe.forEach((k, v) -> t.write(frontend + "/" + k, v));
        });
    }
}
