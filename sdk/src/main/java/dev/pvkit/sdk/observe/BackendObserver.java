package dev.pvkit.sdk.observe;

import dev.pvkit.sdk.virtqueue.QueueObserver;

/**
 * Every negotiation step of a vhost-user session, as the back-end sees it: what a monitor needs to check a
 * driver's (and front-end's) negotiation without touching protocol code. Calls come on the connection's control
 * thread in message order; a listener must not block.
 *
 * <p>Two layers. Typed events carry the values a conformance check compares (features offered and acknowledged,
 * status, queue size, addresses, base, eventfds, enable, start, stop, memory map, configuration, resets). And
 * every message the back-end accepts ends with {@link #requestHandled}, after the typed events it caused — so the
 * stream is a complete, ordered trace even of steps without a typed event (SET_OWNER, SET_BACKEND_REQ_FD, the
 * dirty log, the inflight area, GET_QUEUE_NUM, GET_MAX_MEM_SLOTS, …). A message that is refused produces
 * {@link #messageRejected} and no typed event.
 */
public interface BackendObserver {

    default void connected() {
    }

    default void featuresOffered(long features) {
    }

    default void featuresAcknowledged(long features) {
    }

    default void protocolFeaturesOffered(long features) {
    }

    default void protocolFeaturesAcknowledged(long features) {
    }

    /** The driver's device status write (SET_STATUS). */
    default void statusWritten(int status) {
    }

    default void configRead(int offset, int size) {
    }

    default void configWritten(int offset, byte[] data, boolean accepted) {
    }

    /** The memory map changed; {@code regions} as (guest-physical, size) pairs. */
    default void memoryMapped(long[][] regions) {
    }

    default void queueSize(int queue, int size) {
    }

    /**
     * SET_VRING_ADDR: the ring addresses as the front-end sent them (its own virtual addresses). They are checked
     * and translated when the queue starts, which {@link #queueAddresses} reports.
     */
    default void queueAddressesSet(int queue, long descriptors, long driverArea, long deviceArea) {
    }

    /** SET_VRING_KICK/CALL/ERR: one of the queue's eventfds was set ({@code present}) or cleared by the no-fd flag. */
    default void queueEventFdSet(int queue, QueueEventFd which, boolean present) {
    }

    /** The queue started with these ring addresses, translated to guest-physical. */
    default void queueAddresses(int queue, long descriptors, long driverArea, long deviceArea) {
    }

    default void queueBase(int queue, long base) {
    }

    default void queueEnabled(int queue, boolean enabled) {
    }

    default void queueStarted(int queue) {
    }

    /** GET_VRING_BASE stopped the queue at {@code base}. */
    default void queueStopped(int queue, long base) {
    }

    /** The device was reset (RESET_DEVICE or RESET_OWNER). */
    default void deviceReset(String cause) {
    }

    /**
     * A message was accepted and acted on, after the typed events it caused. {@code request} is its name, e.g.
     * {@code "SET_VRING_NUM"}; {@code summary} its values as space-separated {@code key=value} pairs, e.g.
     * {@code "queue=0 num=256"} (addresses, offsets and bit sets in hex), empty for a message without values.
     */
    default void requestHandled(String request, String summary) {
    }

    /**
     * A message was not acted on: {@code rule} names the check it failed, {@code answer} is "failure status",
     * "connection closed" or (GET_CONFIG) "empty reply". Called by {@link #messageRejected(String, String, String,
     * String, String)}'s default, for observers that do not need the requirement.
     */
    default void messageRejected(String request, String rule, String detail, String answer) {
    }

    /**
     * A message was not acted on, with the spec requirement the rule it failed stands for: {@code requirement} is
     * e.g. "FE-VU-009", or null where the spec states none (the rule and its requirement are a
     * {@code dev.pvkit.sdk.vhostuser.VhostUserRule}, passed as text because the back-end calls this package, not the
     * reverse). The back-end calls this one; by default it drops the requirement and calls
     * {@link #messageRejected(String, String, String, String)}, so an observer that overrides only that keeps working.
     */
    default void messageRejected(String request, String rule, String requirement, String detail, String answer) {
        messageRejected(request, rule, detail, answer);
    }

    default void disconnected(String why) {
    }

    /**
     * The back-end told the front-end its configuration space changed (vhost-user: BACKEND_CONFIG_CHANGE_MSG sent on
     * the back-end channel); the front-end passes it on to the driver as a configuration change notification.
     */
    default void configChangeAnnounced() {
    }

    /** Where each queue's steps go (chains, indices, notification decisions). */
    default QueueObserver queueObserver(int queue) {
        return QueueObserver.NONE;
    }

    BackendObserver NONE = new BackendObserver() {
    };
}
