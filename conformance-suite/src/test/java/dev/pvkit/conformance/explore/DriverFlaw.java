package dev.pvkit.conformance.explore;

/**
 * A mistake a virtio-blk driver can make that a well-behaved device never shows: each holds while the device does
 * the plain thing and breaks under some behaviour the spec allows a device. {@link #NONE} is the correct driver.
 * The comment says what exposes it.
 */
enum DriverFlaw {
    NONE,
    /** Takes each completion as the oldest request's: broken by out-of-order completion with two or more in flight. */
    ASSUMES_IN_ORDER,
    /** Reports success whatever the status byte says: broken by an injected IOERR or UNSUPP. */
    IGNORES_ERROR_STATUS,
    /** Treats only IOERR as a failure: broken by an injected UNSUPP. */
    UNSUPP_TAKEN_AS_SUCCESS,
    /** Never reads capacity again after a configuration change notification: broken by a capacity change. */
    NEVER_REREADS_CAPACITY,
    /** Compares the split used index with a 32-bit count of completions: broken after 65,536 requests on split rings. */
    SPLIT_INDEX_WRAP,
    /** Never flips its packed used wrap counter: broken once completions go round a packed ring. */
    PACKED_WRAP_COUNTER,
    /** Handles one completion per notification: broken by a device that gives several back at once. */
    ONE_COMPLETION_PER_NOTIFICATION,
    /** Treats a notification with nothing new as a fatal error: broken by a spurious notification. */
    SPURIOUS_NOTIFICATION_FATAL,
    /** Decides its kicks from the event index even when EVENT_IDX was not offered: broken by a device without it. */
    ASSUMES_EVENT_IDX,
    /** Uses indirect tables even when INDIRECT_DESC was not offered: broken by a device without it. */
    ASSUMES_INDIRECT,
    /** Sends writes to a disk that offered VIRTIO_BLK_F_RO: broken by a read-only disk. */
    WRITES_READ_ONLY_DISK,
    /** Sets up rings of 256 whatever the device accepts: broken by a device with smaller rings. */
    ASSUMES_QUEUE_SIZE_256
}
