package dev.pvkit.conformance.profile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pvkit.spec.SpecVersion;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a profile file (YAML; docs/profiles.md) into a {@link Profile}, checking every field, and that it was
 * written for the specification PVKit checks against.
 */
final class ProfileParser {
    /** Device types {@code pvkit certify} can serve a driver. */
    static final List<String> DEVICES = List.of("virtio-blk");
    static final int MAX_QUEUES = 64;
    static final int DEFAULT_TRIES = 100;
    static final Duration DEFAULT_TIME_BUDGET = Duration.ofMinutes(10);

    private static final List<String> FIELDS = List.of("name", "description", "device", "spec-version", "requirements",
            "feature-sets", "tries", "time-budget");
    private static final List<String> FEATURE_FIELDS = List.of("name", "ring", "event_idx", "indirect_desc", "queues");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Pattern MAJOR_MINOR = Pattern.compile("(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)");

    private final SpecVersion spec;

    /** @param spec the version of the specification PVKit checks against */
    ProfileParser(SpecVersion spec) {
        this.spec = spec;
    }

    /**
     * @param file   how messages name the file, e.g. {@code profile blk (bundled)}
     * @param source what {@link Profile#source()} says: {@code bundled} or the path
     */
    Profile parse(String file, String source, String text) {
        YamlFields f = new YamlFields(file, "", YamlFields.parse(file, text), FIELDS);
        String name = f.text("name");
        if (!NAME.matcher(name).matches()) throw f.bad("name", "must be lower case letters, digits, '.', '_' or '-', got '" + name + "'");
        String device = f.text("device");
        if (!DEVICES.contains(device)) {
            throw f.bad("device", "is '" + device + "', which pvkit certify cannot serve (it serves " + String.join(", ", DEVICES) + ")");
        }
        String version = specVersion(f);
        String set = f.optionalText("requirements").orElse(RequirementSet.MUST.key());
        RequirementSet requirements = RequirementSet.of(set).orElseThrow(() -> f.bad("requirements",
                "must be 'must' (MUST and MUST NOT) or 'must+should' (SHOULD and SHOULD NOT too), got '" + set + "'"));
        List<FeatureSet> features = featureSets(file, f.list("feature-sets"));
        int tries = f.integer("tries", DEFAULT_TRIES, 1, Integer.MAX_VALUE);
        Duration budget = f.optionalText("time-budget").map(t -> Durations.parse(t).filter(d -> !d.isZero()).orElseThrow(() ->
                f.bad("time-budget", "must be a duration above zero such as 90s, 5m or 1h, got '" + t + "'"))).orElse(DEFAULT_TIME_BUDGET);
        return new Profile(name, source, f.optionalText("description").orElse(""), device, version, requirements, features,
                tries, budget);
    }

    /** MAJOR.MINOR, which must be the checked spec's: a profile written for another spec may name other requirements. */
    private String specVersion(YamlFields f) {
        String v = f.text("spec-version");
        Matcher m = MAJOR_MINOR.matcher(v);
        if (!m.matches()) throw f.bad("spec-version", "must be MAJOR.MINOR in quotes, such as \"" + spec.major() + "." + spec.minor() + "\", got '" + v + "'");
        if (Integer.parseInt(m.group(1)) != spec.major() || Integer.parseInt(m.group(2)) != spec.minor()) {
            throw f.bad("spec-version", "is " + v + ", but this PVKit checks against specification " + spec
                    + " (MAJOR.MINOR must match: " + spec.major() + "." + spec.minor() + ")");
        }
        return v;
    }

    private static List<FeatureSet> featureSets(String file, JsonNode list) {
        List<FeatureSet> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            YamlFields f = new YamlFields(file, "feature-sets[" + (i + 1) + "]", list.get(i), FEATURE_FIELDS);
            String name = f.text("name");
            String ring = f.text("ring");
            FeatureSet.Ring r = switch (ring) {
                case "split" -> FeatureSet.Ring.SPLIT;
                case "packed" -> FeatureSet.Ring.PACKED;
                default -> throw f.bad("ring", "must be split or packed, got '" + ring + "'");
            };
            FeatureSet s = new FeatureSet(name, r, f.bool("event_idx", false), f.bool("indirect_desc", false),
                    f.integer("queues", 1, 1, MAX_QUEUES));
            for (FeatureSet o : out) {
                if (o.name().equals(name)) throw f.bad("name", "'" + name + "' is used by an earlier feature set");
                if (o.sameFeatures(s)) throw f.fail("asks for the same features as feature set '" + o.name() + "'");
            }
            out.add(s);
        }
        return out;
    }
}
