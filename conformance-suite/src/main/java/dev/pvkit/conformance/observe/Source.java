package dev.pvkit.conformance.observe;

/** Where an event was observed: the spec's {@code observed-through} sources, plus the guest's own milestones. */
public enum Source {
    /** Ring memory, as the back-end's device queues read it, and the kicks it receives. */
    RING,
    /** vhost-user messages from the front-end (QEMU forwarding the driver's set-up). */
    VHOST_USER,
    /** The driver's register accesses on the virtio-pci transport, from QEMU's trace. */
    TRANSPORT,
    /** A Xen front-end's rings, grants and XenStore nodes, as PVKit's Xen back-end sees them. */
    XEN,
    /** The guest's own milestones (kernel started, reboot), from its console. */
    GUEST
}
