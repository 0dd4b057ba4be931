/**
 * The virtio-net reference back-end: {@link dev.pvkit.backends.net.VirtioNetDevice} (one per vhost-user socket),
 * the {@link dev.pvkit.backends.net.EthernetSwitch} its ports plug into, and the
 * {@link dev.pvkit.backends.net.Responder} that answers ARP, ICMP echo and UDP echo, so one guest can be exercised
 * alone.
 */
package dev.pvkit.backends.net;
