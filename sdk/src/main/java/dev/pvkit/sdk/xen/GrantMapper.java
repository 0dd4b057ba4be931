package dev.pvkit.sdk.xen;

/** Maps pages another domain granted to this one (grant_table_op MAP_GRANT_REF / UNMAP_GRANT_REF). */
public interface GrantMapper {

    /**
     * Maps the pages {@code refs} of domain {@code domid}, in order, all or none. Read-only unless {@code writable}
     * (spec DEV-XEN-002: map only what the back-end writes as writable).
     *
     * @throws GrantException for the first reference the hypervisor refused; nothing stays mapped then
     */
    GrantMapping map(int domid, int[] refs, boolean writable);
}
