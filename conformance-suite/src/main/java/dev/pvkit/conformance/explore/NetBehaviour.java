package dev.pvkit.conformance.explore;

/**
 * One legal way for a virtio-net device to serve: how it gives back the packets a driver transmits (held in batches,
 * in any order, one per notification or together, with spurious notifications while they wait), and what happens to
 * the link while the driver works (it goes down and comes back; the device asks the driver to announce itself).
 * Frames are forwarded when their chains are given back, so a reversed batch also reaches the network reversed, as
 * packets may. The offer (features, ring format, queue pairs) is fixed for a boot and is not part of it.
 *
 * @param completions the order in which held transmit chains are given back
 * @param batch       transmit chains held before they are given back together (1: each at once)
 * @param delayMicros the longest a transmit chain is held waiting for its batch
 * @param oneAtATime  give a batch back one chain per notification, in order, rather than all in one
 * @param spurious    while chains are held, also send notifications with nothing new
 * @param linkFlap    take the link down and up again before the workload (the driver must follow and recover)
 * @param announce    ask the driver to announce itself before the workload
 * @param seed        what a shuffle draws from
 */
public record NetBehaviour(Completions completions, int batch, int delayMicros, boolean oneAtATime, boolean spurious,
                           boolean linkFlap, boolean announce, long seed) implements RequestHold.Terms {
    public NetBehaviour {
        if (batch < 1 || delayMicros < 0) throw new IllegalArgumentException("batch below 1 or negative delay");
        if (completions == null) throw new IllegalArgumentException("no completion order");
    }

    /** What the reference device does: each packet given back at once, the link left alone. */
    public static NetBehaviour plain() {
        return new NetBehaviour(Completions.IN_ORDER, 1, 0, false, false, false, false, 0);
    }
}
