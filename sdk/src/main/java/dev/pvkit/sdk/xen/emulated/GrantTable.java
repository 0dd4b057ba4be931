package dev.pvkit.sdk.xen.emulated;

import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantStatus;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One domain's v1 grant table, as the hypervisor keeps it: entry {@code ref} grants one of the domain's pages to one
 * other domain, read-only or writable. References 0–7 are reserved for the toolstack and never handed out. A page
 * that is mapped cannot be revoked (GTF_reading/GTF_writing stay set until the unmap).
 */
final class GrantTable {
    static final int FIRST_FREE_REF = 8;
    static final int SIZE = 1024;

    private final int owner;
    private final Map<Integer, Entry> entries = new HashMap<>();
    private int nextRef = FIRST_FREE_REF;

    private static final class Entry {
        final int grantee;
        final ByteBuffer page;
        final boolean readOnly;
        int mappings;

        Entry(int grantee, ByteBuffer page, boolean readOnly) {
            this.grantee = grantee;
            this.page = page;
            this.readOnly = readOnly;
        }
    }

    GrantTable(int owner) {
        this.owner = owner;
    }

    synchronized int grant(int grantee, ByteBuffer page, boolean readOnly) {
        for (int tries = 0; tries < SIZE; tries++) {
            int ref = nextRef;
            nextRef = nextRef + 1 >= SIZE ? FIRST_FREE_REF : nextRef + 1;
            if (!entries.containsKey(ref)) {
                entries.put(ref, new Entry(grantee, page, readOnly));
                return ref;
            }
        }
        throw new IllegalStateException("grant table of domain " + owner + " is full");
    }

    /** Revokes {@code ref}; false (and nothing changes) while the grantee still maps it. */
    synchronized boolean revoke(int ref) {
        Entry e = entries.get(ref);
        if (e == null) return true;
        if (e.mappings > 0) return false;
        entries.remove(ref);
        return true;
    }

    synchronized boolean mapped(int ref) {
        Entry e = entries.get(ref);
        return e != null && e.mappings > 0;
    }

    /** MAP_GRANT_REF by {@code mapper}: the page, after the checks the hypervisor makes. */
    synchronized ByteBuffer map(int mapper, int ref, boolean writable) {
        Entry e = entries.get(ref);
        if (e == null) throw new GrantException(ref, GrantStatus.BAD_GNTREF);
        if (e.grantee != mapper) throw new GrantException(ref, GrantStatus.PERMISSION_DENIED);
        if (writable && e.readOnly) throw new GrantException(ref, GrantStatus.PERMISSION_DENIED);
        e.mappings++;
        return e.page;
    }

    synchronized void unmap(int ref) {
        Entry e = entries.get(ref);
        if (e != null && e.mappings > 0) e.mappings--;
    }
}
