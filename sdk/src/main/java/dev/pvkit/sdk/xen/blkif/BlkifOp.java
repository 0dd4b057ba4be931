package dev.pvkit.sdk.xen.blkif;

/** blkif operations and response statuses (spec groups {@code xen.blkif.op}, {@code xen.blkif.status}). */
public final class BlkifOp {
    public static final int READ = 0;
    public static final int WRITE = 1;
    public static final int WRITE_BARRIER = 2;
    public static final int FLUSH_DISKCACHE = 3;
    public static final int DISCARD = 5;
    public static final int INDIRECT = 6;

    public static final int STATUS_OKAY = 0;
    public static final int STATUS_ERROR = -1;
    public static final int STATUS_EOPNOTSUPP = -2;

    /** Segments in a direct request, indirect pages per request, segment descriptors per indirect page. */
    public static final int MAX_DIRECT_SEGMENTS = 11;
    public static final int MAX_INDIRECT_PAGES = 8;
    public static final int SEGMENTS_PER_INDIRECT_PAGE = 512;
    /** A discard's flag bit asking for secure erase. */
    public static final int DISCARD_SECURE = 1;

    private BlkifOp() {
    }

    public static String name(int op) {
        return switch (op) {
            case READ -> "READ";
            case WRITE -> "WRITE";
            case WRITE_BARRIER -> "WRITE_BARRIER";
            case FLUSH_DISKCACHE -> "FLUSH_DISKCACHE";
            case DISCARD -> "DISCARD";
            case INDIRECT -> "INDIRECT";
            default -> "op " + op;
        };
    }
}
