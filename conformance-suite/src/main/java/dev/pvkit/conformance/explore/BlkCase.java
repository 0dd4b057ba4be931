package dev.pvkit.conformance.explore;

/** One try: how the device behaves and what the driver is asked to do. */
public record BlkCase(BlkBehaviour behaviour, BlkWorkload workload) {
}
