package dev.pvkit.sdk.observe;

/**
 * Every negotiation step of a vhost-user session, as the back-end sees it: what a monitor needs to check a
 * driver's (and front-end's) negotiation without touching protocol code. Calls come on the connection's control
 * thread in message order; a listener must not block.
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

    /** Ring addresses, already translated to guest-physical. */
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

    /** A message was not acted on; {@code answer} is "failure status" or "connection closed". */
    default void messageRejected(String request, String rule, String detail, String answer) {
    }

    default void disconnected(String why) {
    }

    /** Where each queue's steps go (chains, indices, notification decisions). */
    default QueueObserver queueObserver(int queue) {
        return QueueObserver.NONE;
    }

    BackendObserver NONE = new BackendObserver() {
    };
}
