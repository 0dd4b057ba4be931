package dev.pvkit.conformance.verdict;

import java.util.List;

/**
 * What shows a violation, enough to see what the driver did wrong without the run at hand.
 *
 * @param session      the session's label, e.g. "session 2 (OS)"
 * @param queue        the virtqueue involved, or -1 for a transport or negotiation step
 * @param summary      one line: what the driver did, against what the rule asks
 * @param offending    the offending steps, one line each, with their times
 * @param before       the few steps before them, for context
 * @param hostTime     host wall-clock time of the first offending step (ISO-8601)
 * @param guestSeconds seconds since the guest started (QEMU launch), or -1 when there was no guest
 */
public record Evidence(String session, int queue, String summary, List<String> offending, List<String> before,
                       String hostTime, double guestSeconds) {

    public Evidence {
        offending = List.copyOf(offending);
        before = List.copyOf(before);
    }
}
