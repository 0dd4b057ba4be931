/**
 * The netif wire format (spec §9.5): transmit and receive requests and responses, extra-info records and their
 * flags, shared by PVKit's netback and its Java netfront.
 */
package dev.pvkit.sdk.xen.netif;
