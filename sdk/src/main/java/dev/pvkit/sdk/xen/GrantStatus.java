package dev.pvkit.sdk.xen;

/** The {@code GNTST_*} codes of grant operations (spec group {@code xen.gnttab_status}). */
public final class GrantStatus {
    public static final int OKAY = 0;
    public static final int GENERAL_ERROR = -1;
    public static final int BAD_DOMAIN = -2;
    public static final int BAD_GNTREF = -3;
    public static final int BAD_HANDLE = -4;
    public static final int PERMISSION_DENIED = -8;
    public static final int BAD_COPY_ARG = -10;
    public static final int EAGAIN = -12;

    private static final String[] NAMES = {"okay", "general error", "bad domain", "bad grant reference", "bad handle",
            "bad virtual address", "bad device address", "no device space", "permission denied", "bad page",
            "bad copy argument", "address too big", "eagain", "no space"};

    private GrantStatus() {
    }

    public static String name(int status) {
        return status <= 0 && -status < NAMES.length ? NAMES[-status] + " (" + status + ")" : "status " + status;
    }
}
