package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.GrantMapping;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One ring's persistent grants (blkif's {@code feature-persistent}, spec §9.4): a front-end that asked for them grants
 * a pool of pages once, writable, and reuses their references; blkback maps each the first time it appears and keeps
 * it mapped until the ring goes, instead of a map and an unmap per segment and request. Past {@link #MAX} references
 * a ring's further pages are mapped per request, as without the feature. Used by one ring's thread at a time.
 */
final class PersistentGrants implements AutoCloseable {
    /** Linux's xen-blkback keeps at most this many per ring (its max_persistent_grants default). */
    static final int MAX = 1056;

    private final GrantMapper grants;
    private final int frontendDomid;
    private final Map<Integer, GrantMapping> mapped = new HashMap<>();

    PersistentGrants(GrantMapper grants, int frontendDomid) {
        this.grants = grants;
        this.frontendDomid = frontendDomid;
    }

    /**
     * A view of {@code ref}'s page, mapped writable on first use; null when the ring already holds {@link #MAX}.
     *
     * @throws GrantException when the page cannot be mapped writable (a front-end that granted it read-only breaks
     *                        DRV-XBLK-013)
     */
    synchronized ByteBuffer page(int ref) throws GrantException {
        GrantMapping m = mapped.get(ref);
        if (m == null) {
            if (mapped.size() >= MAX) return null;
            m = grants.map(frontendDomid, new int[]{ref}, true);
            mapped.put(ref, m);
        }
        return m.page(0).duplicate();
    }

    /** Unmaps them all: the ring is going [DEV-XEN-008]. */
    @Override
    public synchronized void close() {
        mapped.values().forEach(GrantMapping::close);
        mapped.clear();
    }
}
