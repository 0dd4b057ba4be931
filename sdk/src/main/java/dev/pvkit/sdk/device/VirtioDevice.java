package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

/**
 * What a backend author implements: the device's identity, features and configuration space, and what to do
 * with one request. Everything about rings, memory maps, eventfds and the vhost-user protocol is the SDK's job.
 * Serving a device is one call: {@code VhostUserBackend.serve(device, socketPath)}.
 *
 * <p>{@link #submit} (by default {@link #process}) runs on the worker thread that owns the queue (PVKit maps queue
 * {@code i} to worker {@code i % workers}); the other hooks run on the connection's control thread.
 */
public interface VirtioDevice {

    /** Virtio device id (spec group {@code virtio.device_id}), e.g. 2 for block. */
    int deviceId();

    /** Virtio feature bits offered: device-type bits plus transport bits such as VERSION_1 or RING_PACKED. */
    long features();

    /** How many queues the device has. */
    int queueCount();

    /** The largest queue size the device accepts. */
    int maxQueueSize();

    /** The configuration space as the driver would read it now. */
    byte[] config();

    /** A driver write into the configuration space; false refuses it (read-only field, bad range). */
    default boolean writeConfig(int offset, byte[] data) {
        return false;
    }

    /**
     * Handles one validated request synchronously: read its readable part, write its writable part, and return how
     * many bytes were written. An exception is logged and the request returned with nothing written. A device that
     * completes later, or from another thread, overrides {@link #submit} instead; one of the two must be overridden.
     */
    default long process(int queue, Chain chain, GuestMemory memory) {
        throw new UnsupportedOperationException(getClass().getName() + " overrides neither process nor submit");
    }

    /**
     * Takes one validated request; the device completes it ({@link Request#complete}) exactly once, now or later,
     * from any thread. Runs on the queue's worker thread, which it should not block: a device that waits for I/O
     * hands the request on (to its own threads, or to a file descriptor it watches) and returns. If this throws
     * before the request was completed, the SDK logs it and returns the chain with nothing written.
     *
     * <p>The default is the synchronous adapter: {@link #process}, then complete with what it wrote.
     */
    default void submit(Request request) {
        request.complete(process(request.queue(), request.chain(), request.memory()));
    }

    /**
     * Whether {@link #submit} always returns within microseconds: the device serves from memory, or hands what may be
     * slow to threads or descriptors of its own. The SDK then publishes completions in small batches (a share of a
     * deep queue at a time, and whatever is done when the ring runs empty) rather than one by one, which spares the
     * driver a wake-up per request. A device that may block in {@code submit} keeps the default, {@code false}: each
     * completion is published before the device gets the next request, so none waits behind a slow one.
     */
    default boolean submitsWithoutBlocking() {
        return false;
    }

    /**
     * Whether requests on a started but disabled ring are taken and returned with nothing written (a network
     * device dropping TX) rather than left in the ring until it is enabled (the default, right for storage).
     */
    default boolean discardsWhileDisabled() {
        return false;
    }

    /**
     * Whether the device holds {@code queue}'s requests until something arrives for them (a network device's receive
     * buffers wait for packets). When such a ring stops, what the device holds is given up at once instead of waited
     * for, and without a warning: the driver gets those buffers back only by resetting the device, which is what a
     * stopping ring is part of. The device sees them as {@link Request#isCancelled() cancelled}.
     */
    default boolean holdsRequests(int queue) {
        return false;
    }

    /**
     * The front-end enabled or disabled {@code queue} (vhost-user SET_VRING_ENABLE, or every queue at once when
     * protocol features were not negotiated). A network device uses it to steer packets only to receive queues in
     * use; most devices need not care, since the SDK itself never serves a disabled ring.
     */
    default void queueEnabled(int queue, boolean enabled) {
    }

    /** The driver acknowledged {@code features} (a subset of {@link #features()}). */
    default void featuresNegotiated(long features) {
    }

    /** The driver wrote the device status. */
    default void statusChanged(int status) {
    }

    /** The device was reset (by the driver, the front-end, or a closed connection): forget all driver state. */
    default void reset() {
    }

    /** Called once the SDK can reach the driver; keep {@code context} to announce configuration changes. */
    default void attach(DeviceContext context) {
    }
}
