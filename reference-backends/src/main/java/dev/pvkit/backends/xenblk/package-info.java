/**
 * blkback: a Xen block back-end on the same {@link dev.pvkit.backends.blk.BlockEngine} as virtio-blk, served
 * through the SDK's Xen transport ({@link dev.pvkit.sdk.xen.XenPlatform}), real or emulated (PVKit specification
 * §9.3–§9.4, §9.8).
 *
 * <p>It offers flush, barrier, discard, indirect segments, multi-page rings and several queues, decodes the
 * x86_64 and x86_32 layouts, and validates every request before it touches guest memory or the disk.
 */
package dev.pvkit.backends.xenblk;
