package dev.pvkit.conformance.verdict;

/**
 * One driver session as the report lists it.
 *
 * @param label        e.g. "session 2 (OS)"
 * @param kind         firmware or os
 * @param features     the features negotiated in it (hex), or null when it never got that far
 * @param ring         split, packed, or null
 * @param events       how many events it holds
 * @param startSeconds seconds since the guest started
 * @param judged       whether its verdicts count: sessions of the driver under certification do; the other
 *                     drivers' (e.g. the firmware's, when the OS driver is certified) are listed but not judged
 */
public record SessionSummary(String label, String kind, String features, String ring, int events, double startSeconds,
                             boolean judged) {
}
