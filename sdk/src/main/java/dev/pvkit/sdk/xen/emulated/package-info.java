/**
 * An in-process Xen: domains with grant tables and event channels, and one XenStore tree, so that a Java
 * front-end and a back-end can meet without a hypervisor. The rules the real one enforces are enforced here too
 * (a grant maps only for its grantee and with the access it permits, a mapped grant cannot be revoked, an event
 * channel binds only to a port left unbound for the binder), so a front-end's mistake fails here as it would there.
 * Not emulated: XenStore permissions and quotas, grant v2, transfers and FIFO event channels.
 */
package dev.pvkit.sdk.xen.emulated;
