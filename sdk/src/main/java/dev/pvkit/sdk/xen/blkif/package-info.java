/**
 * The blkif wire format (spec §9.3): operations, statuses, the request and response layouts of each ABI a
 * front-end may declare, shared by PVKit's back-end and its Java front-end.
 */
package dev.pvkit.sdk.xen.blkif;
