package dev.pvkit.sdk.xen;

/** A grant map or copy the hypervisor refused: the front-end named a reference it did not grant, or not to us. */
public final class GrantException extends XenException {
    private final int ref;
    private final int status;

    public GrantException(int ref, int status) {
        super("grant reference " + Integer.toUnsignedString(ref) + " refused: " + GrantStatus.name(status));
        this.ref = ref;
        this.status = status;
    }

    public int ref() {
        return ref;
    }

    /** A {@code GNTST_*} code (spec group {@code xen.gnttab_status}). */
    public int status() {
        return status;
    }
}
