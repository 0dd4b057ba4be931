package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.blkif.BlkifRequest;

/** What blkback did with each request, for monitors and conformance checks. Calls come from ring threads. */
public interface XenBlkListener {
    XenBlkListener NONE = new XenBlkListener() {
    };

    /**
     * A request was answered with {@code status}. {@code refused} names the requirement the request broke (null when
     * it was served, or failed for the disk's own reasons).
     */
    default void answered(int ring, BlkifRequest request, int status, String refused) {
    }
}
