/**
 * The Xen transport of the SDK, as a back-end in a driver domain sees it: XenStore, grant mappings, event
 * channels, the shared request/response ring and the XenbusState handshake (PVKit specification §9).
 *
 * <p>One interface, {@link dev.pvkit.sdk.xen.XenPlatform}, has two implementations: real Xen through
 * libxenstore, libxengnttab and libxenevtchn, and {@code dev.pvkit.sdk.xen.emulated}, an in-process hypervisor
 * (grant tables, event channels, a XenStore tree) on which Java front-ends run, for tests without Xen.
 *
 * <p>Everything a front-end puts in shared memory or XenStore is hostile input: ring indices, grant references and
 * node values are validated before use, and a broken rule is reported to the {@link dev.pvkit.sdk.xen.XenObserver}
 * with the requirement it breaks.
 */
package dev.pvkit.sdk.xen;
