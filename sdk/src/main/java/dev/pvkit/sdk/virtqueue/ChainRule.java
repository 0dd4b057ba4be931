package dev.pvkit.sdk.virtqueue;

/**
 * The rules a descriptor chain must satisfy before a handler sees it, each tied to the PVKit requirement it
 * enforces (split and packed ids; null where the rule does not exist for that format). {@code tolerable} rules
 * can be served anyway under {@link Reaction#TOLERATE} without making the walk unsafe; the others cannot.
 */
public enum ChainRule {
    /** An available-ring entry names a descriptor beyond the table. */
    HEAD_OUT_OF_RANGE("DRV-SPLIT-018", null, false),
    /** A {@code next} link points beyond its table. */
    NEXT_OUT_OF_RANGE("DRV-SPLIT-019", null, false),
    /** The {@code next} links revisit a descriptor. */
    LOOP("DRV-SPLIT-009", null, false),
    /**
     * More descriptors than the queue size (tolerated only up to the policy's hard cap). A packed list that stops
     * short of Q but runs into slots the device holds is {@link #LIST_INTO_HELD_SLOTS} instead.
     */
    CHAIN_TOO_LONG("DRV-SPLIT-014", "DRV-PACKED-008", true),
    /** The lengths add up beyond what 32 bits can hold. */
    TOTAL_LENGTH_OVERFLOW("DRV-SPLIT-008", "DRV-PACKED-039", false),
    /** A buffer lies (partly) outside guest memory. */
    BUFFER_OUTSIDE_MEMORY("DRV-SPLIT-044", "DRV-PACKED-037", false),
    /** A device-readable buffer follows a device-writable one. */
    READABLE_AFTER_WRITABLE("DRV-SPLIT-006", "DRV-PACKED-009", true),
    /** INDIRECT used without VIRTIO_F_INDIRECT_DESC negotiated. */
    INDIRECT_NOT_NEGOTIATED("DRV-SPLIT-012", "DRV-PACKED-013", true),
    /** INDIRECT and NEXT on one descriptor (split), or INDIRECT inside a NEXT-chained list (packed). */
    INDIRECT_WITH_NEXT("DRV-SPLIT-015", "DRV-PACKED-016", true),
    /** INDIRECT on a descriptor inside an indirect table (split: cannot be followed). */
    NESTED_INDIRECT("DRV-SPLIT-013", null, false),
    /** A flag other than WRITE inside a packed indirect table (the device ignores it). */
    INDIRECT_TABLE_FLAGS(null, "DRV-PACKED-014", true),
    /** An indirect table whose length is zero or not a multiple of 16. */
    INDIRECT_BAD_LENGTH("DRV-SPLIT-017", "DRV-PACKED-038", false),
    /** An indirect table (partly) outside guest memory. */
    INDIRECT_TABLE_OUTSIDE_MEMORY("DRV-SPLIT-044", "DRV-PACKED-037", false),
    /** The available index moved more than the queue size past the device's position. */
    AVAIL_INDEX_JUMP("DRV-SPLIT-022", null, false),
    /** A later descriptor of a packed list is not marked available with the list's wrap value. */
    LIST_NOT_AVAILABLE(null, "DRV-PACKED-026", true),
    /**
     * A packed list, no longer than the queue size, running on into ring slots the device still holds: the driver
     * made it available without room for all of it. Never tolerable: its tail is not the driver's to hand over.
     */
    LIST_INTO_HELD_SLOTS(null, "DRV-PACKED-011", false);

    private final String splitRequirement;
    private final String packedRequirement;
    private final boolean tolerable;

    ChainRule(String splitRequirement, String packedRequirement, boolean tolerable) {
        this.splitRequirement = splitRequirement;
        this.packedRequirement = packedRequirement;
        this.tolerable = tolerable;
    }

    /** The requirement id this rule enforces on a split ring, or null. */
    public String splitRequirement() {
        return splitRequirement;
    }

    /** The requirement id this rule enforces on a packed ring, or null. */
    public String packedRequirement() {
        return packedRequirement;
    }

    public String requirement(boolean packed) {
        return packed ? packedRequirement : splitRequirement;
    }

    public boolean tolerable() {
        return tolerable;
    }
}
