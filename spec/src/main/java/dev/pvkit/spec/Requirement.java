package dev.pvkit.spec;

import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One numbered rule of the specification.
 *
 * @param id         stable id {@code <T>-<AREA>-<NNN>}, never reused
 * @param target     who the rule binds
 * @param strength   its RFC 2119 keyword
 * @param area       the area code taken from the id
 * @param source     where the rule is profiled from
 * @param observable whether a device-side monitor can check it
 * @param how        how the device sees it, or why it cannot
 * @param statement  the rule in one line
 * @param part       the machine-form part file that defines it
 * @param since      the specification version that introduced the id
 * @param withdrawn  when and why it was withdrawn, or null while it is in force
 * @param observedThrough where PVKit observes it: the sources (empty for {@code none}), or null where the
 *                   machine form does not say (allowed only on non-driver requirements and before schema 3)
 * @param unchecked  why PVKit's conformance suite decides no verdict for this observable driver requirement yet
 *                   (what a session would need to put a driver to it), or null when a check decides it or it is
 *                   not observable; schema 4 and later
 */
public record Requirement(String id, Target target, Strength strength, String area, SourceRef source,
                          Observability observable, String how, String statement, String part,
                          SpecVersion since, Withdrawal withdrawn,
                          Set<ObservationSource> observedThrough, String unchecked) {

    /** True when the requirement no longer binds anyone (it stays in the catalog, marked). */
    public boolean isWithdrawn() {
        return withdrawn != null;
    }

    /** The sources PVKit observes it through, empty when it is observed through none; empty Optional when unstated. */
    public Optional<Set<ObservationSource>> observation() {
        return Optional.ofNullable(observedThrough);
    }

    /** {@code observed-through} as the machine form writes it ({@code none} or the sources joined by ", "), or null. */
    public String observedThroughText() {
        if (observedThrough == null) return null;
        if (observedThrough.isEmpty()) return ObservationSource.NONE;
        return observedThrough.stream().map(ObservationSource::yamlName).collect(Collectors.joining(", "));
    }

    /** Why no check decides it yet, when the spec says so. */
    public Optional<String> uncheckedReason() {
        return Optional.ofNullable(unchecked);
    }

    public Optional<Withdrawal> withdrawal() {
        return Optional.ofNullable(withdrawn);
    }
}
