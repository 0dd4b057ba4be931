package dev.pvkit.conformance.profile;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a certification run certifies: for which device, against which specification, which requirements the driver
 * must keep, which feature combinations to cover, and how much effort the property-based exploration may spend.
 * Read from a profile file ({@link Profiles}); its schema is docs/profiles.md.
 *
 * @param name          the profile's name, e.g. {@code blk}
 * @param source        where it was read from: {@code bundled} or the file's path
 * @param description   one line for people, may be empty
 * @param device        the device type it certifies a driver of, e.g. {@code virtio-blk}
 * @param specVersion   the specification's MAJOR.MINOR it was written for; it must match the spec PVKit checks against
 * @param requirements  which requirements the driver must keep
 * @param featureSets   the feature combinations to cover, at least one, in file order
 * @param tries         how many tries each property gets, at least 1
 * @param timeBudget    how long the exploration may take in all
 */
public record Profile(String name, String source, String description, String device, String specVersion,
                      RequirementSet requirements, List<FeatureSet> featureSets, int tries, Duration timeBudget) {

    public Profile {
        Objects.requireNonNull(name);
        Objects.requireNonNull(source);
        Objects.requireNonNull(device);
        Objects.requireNonNull(specVersion);
        Objects.requireNonNull(requirements);
        Objects.requireNonNull(timeBudget);
        featureSets = List.copyOf(featureSets);
        description = description == null ? "" : description;
    }

    /** Facts for the reports, name to value, in a fixed order. */
    public Map<String, String> facts() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("name", name);
        f.put("source", source);
        if (!description.isEmpty()) f.put("description", description);
        f.put("device", device);
        f.put("spec version", specVersion);
        f.put("requirement set", requirements.key());
        f.put("feature sets", String.join("; ", featureSets.stream().map(FeatureSet::describe).toList()));
        f.put("tries per property", Integer.toString(tries));
        f.put("time budget", Durations.format(timeBudget));
        return f;
    }
}
