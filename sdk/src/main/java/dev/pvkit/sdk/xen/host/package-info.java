/**
 * The SDK's Xen transport on a real hypervisor, from a driver domain (dom0 or a domain given the back-end role):
 * libxenstore, libxengnttab and libxenevtchn through JNA. The libraries are loaded when a
 * {@link dev.pvkit.sdk.xen.host.HostXen} opens, so the SDK runs without them everywhere else.
 */
package dev.pvkit.sdk.xen.host;
