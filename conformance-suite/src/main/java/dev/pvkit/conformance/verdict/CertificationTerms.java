package dev.pvkit.conformance.verdict;

import java.util.List;
import java.util.Map;

/**
 * The terms a run was certified under: the profile that named what it certifies, and the waivers it was given.
 * Reports show them so that a verdict can be read against what was asked for.
 *
 * @param profile    facts about the profile, name to value (e.g. {@code name}, {@code source}, {@code requirements});
 *                   empty when the certification was made without one
 * @param waiverFile the waiver file as given, or null when there was none
 * @param waivers    every waiver of that file with what became of it, in file order
 */
public record CertificationTerms(Map<String, String> profile, String waiverFile, List<WaiverUse> waivers) {

    /** No profile and no waivers (a certification put together by hand, as in tests). */
    public static final CertificationTerms NONE = new CertificationTerms(Map.of(), null, List.of());

    public CertificationTerms {
        // In the order given: a profile's facts read best as it lists them.
        profile = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(profile));
        waivers = List.copyOf(waivers);
    }

    /** How many waivers ended with {@code status}. */
    public long count(WaiverUse.Status status) {
        return waivers.stream().filter(u -> u.status() == status).count();
    }
}
