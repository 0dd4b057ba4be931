package dev.pvkit.conformance.observe;

/**
 * One thing the driver did (or the device saw it do), from one of the observation sources. Every event carries its
 * wall-clock time in microseconds: the ring and vhost-user sources stamp it when the back-end sees the step, QEMU
 * stamps each trace line itself ({@code -msg timestamp=on}); both read the same host clock, so events of all
 * sources can be merged into one ordered stream.
 */
public sealed interface Event permits RingEvent, VhostUserEvent, TransportEvent, GuestEvent, XenEvent {

    /** Host wall-clock time, microseconds since the epoch. */
    long micros();

    Source source();

    /** One line, for evidence: what happened, with its values. */
    String describe();
}
