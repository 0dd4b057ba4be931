package dev.pvkit.sdk.virtqueue;

/** What a queue does with a chain that broke a rule. */
public enum Reaction {
    /** Stop the queue; the device reports DEVICE_NEEDS_RESET. What the spec asks of a device facing a broken driver. */
    NEEDS_RESET,
    /** Report, return the chain to the driver unprocessed (used length 0) and go on with the next one. */
    SKIP,
    /** Report, and serve the chain as far as it is safe to (only for tolerable rules). */
    TOLERATE
}
