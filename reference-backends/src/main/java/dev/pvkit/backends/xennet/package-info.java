/**
 * netback: a Xen network back-end that plugs a front-end's vif into PVKit's {@link
 * dev.pvkit.backends.net.EthernetSwitch}, beside virtio-net guests and the responder (PVKit specification §9.5).
 * Transmit and receive rings, split event channels, several queues; every transmit request is validated before
 * its data is read, and each refusal names the requirement it breaks.
 */
package dev.pvkit.backends.xennet;
