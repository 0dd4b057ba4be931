package dev.pvkit.conformance.verdict;

/** A requirement's outcome in one driver session. */
public record SessionOutcome(String session, Outcome outcome) {
}
