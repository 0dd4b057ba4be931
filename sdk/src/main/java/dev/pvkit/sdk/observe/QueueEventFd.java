package dev.pvkit.sdk.observe;

/** The three eventfds of a vhost-user queue. */
public enum QueueEventFd {
    /** Driver to device: new buffers are available (SET_VRING_KICK). */
    KICK,
    /** Device to driver: buffers were used (SET_VRING_CALL). */
    CALL,
    /** Device to front-end: the ring broke (SET_VRING_ERR). */
    ERR
}
