package dev.pvkit.conformance.explore;

/** The order in which a device gives back the requests it holds at once; virtio lets it choose any. */
public enum Completions {
    /** As the driver made them available. */
    IN_ORDER,
    /** Newest first. */
    REVERSED,
    /** Shuffled, from the case's seed. */
    SHUFFLED
}
