package dev.pvkit.conformance.verdict;

import java.time.LocalDate;
import java.util.Objects;

/**
 * A driver vendor's signed-off acceptance of one known failure, for a limited time: the failure stops failing the
 * run until {@code expires} has passed, and every report still shows it.
 *
 * @param id      the requirement waived, e.g. {@code DRV-CFG-001}
 * @param owner   who answers for the waiver (a person or team)
 * @param reason  why the failure is accepted for now
 * @param expires the last day the waiver holds (it is expired from the day after)
 */
public record Waiver(String id, String owner, String reason, LocalDate expires) {

    public Waiver {
        Objects.requireNonNull(id);
        Objects.requireNonNull(owner);
        Objects.requireNonNull(reason);
        Objects.requireNonNull(expires);
    }

    /** Whether the waiver no longer holds on {@code today}: true from the day after {@link #expires}. */
    public boolean expiredOn(LocalDate today) {
        return today.isAfter(expires);
    }
}
