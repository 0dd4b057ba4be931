/**
 * A test kit for device authors: drive a {@link dev.pvkit.sdk.device.VirtioDevice} through the SDK's driver
 * models and device queues in one process — no socket, no QEMU, no vhost-user — and assert on what it completed.
 *
 * <ul>
 *   <li>{@link dev.pvkit.sdk.testkit.DeviceHarness}: negotiates, lays out guest memory and rings, serves them on
 *       its own event loop as the SDK's server would (synchronous and asynchronous devices, the device's watches and
 *       timers), and lets a test post chains and await their {@link dev.pvkit.sdk.testkit.Completion}s.</li>
 *   <li>{@link dev.pvkit.sdk.testkit.QueueRecorder}: what a device-side queue saw — chains, rejections with their
 *       {@link dev.pvkit.sdk.virtqueue.ChainRule}, used entries, publications, notification decisions.</li>
 * </ul>
 *
 * What needs the vhost-user protocol itself (messages, memory-map changes, reconnects, inflight recovery) is
 * tested through {@code dev.pvkit.sdk.vhostuser.VhostUserBackend} and {@code dev.pvkit.sdk.frontend.VirtioFrontend}
 * instead.
 */
package dev.pvkit.sdk.testkit;
