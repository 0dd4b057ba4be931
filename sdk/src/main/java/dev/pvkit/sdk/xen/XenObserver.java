package dev.pvkit.sdk.xen;

/**
 * What a Xen back-end sees a front-end do, for monitors and conformance checks: the handshake, the nodes it
 * publishes, its rings and its grants. Calls may come from the XenStore thread and the ring threads; a listener
 * must be thread-safe and must not block.
 */
public interface XenObserver {

    /** The back-end saw the front-end's {@code state} node say {@code state} ({@code raw} as read, null if absent). */
    default void frontendState(XenbusState state, String raw) {
    }

    /** The back-end wrote its own state. */
    default void backendState(XenbusState state) {
    }

    /** The back-end read a front-end node while connecting ({@code value} null when absent). */
    default void frontendNode(String key, String value) {
    }

    /** The back-end could not connect with the front-end's keys and closes: {@code requirement} is the rule they break. */
    default void connectRefused(String requirement, String detail) {
    }

    /** A grant the front-end named could not be mapped ({@code purpose}: "ring", "data", "indirect page"). */
    default void grantRefused(int ref, int status, boolean writable, String purpose) {
    }

    /** A ring was mapped; the header as found (the back-end never rewrites it on attach [DEV-XRING-001]). */
    default void ringAttached(int ring, int pages, int entries, int reqProd, int reqEvent, int rspProd, int rspEvent,
                              boolean restZero) {
    }

    /** The back-end found {@code req_prod} moved from {@code previous} to {@code current}. */
    default void requestsPublished(int ring, int previous, int current) {
    }

    /** An event arrived on the ring's channel. */
    default void eventReceived(int ring) {
    }

    /** The back-end published responses up to {@code rspProd}; the front-end's {@code rsp_event} then was {@code rspEvent}. */
    default void responsesPushed(int ring, int rspProd, int rspEvent, boolean notified) {
    }

    /** The ring broke a rule the back-end cannot serve past; it stops serving it. */
    default void ringBroken(int ring, String requirement, String detail) {
    }
}
