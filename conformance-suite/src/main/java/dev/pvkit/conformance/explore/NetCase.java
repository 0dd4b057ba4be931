package dev.pvkit.conformance.explore;

/** One try of generated virtio-net device behaviour: how the device serves, and what the guest does meanwhile. */
public record NetCase(NetBehaviour behaviour, NetWorkload workload) {
}
