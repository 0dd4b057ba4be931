package dev.pvkit.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A semantic version (semver 2.0.0) of the PVKit specification. */
public record SpecVersion(int major, int minor, int patch, String preRelease) implements Comparable<SpecVersion> {

    // Core triple without leading zeros, optional pre-release and build metadata, as semver 2.0.0 defines them.
    private static final Pattern SEMVER = Pattern.compile(
            "(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)"
                    + "(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                    + "(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?");

    public SpecVersion {
        if (major < 0 || minor < 0 || patch < 0) {
            throw new IllegalArgumentException("version numbers must not be negative");
        }
        preRelease = preRelease == null ? "" : preRelease;
    }

    /** Parses {@code text} or throws {@link IllegalArgumentException} saying why it is not semver. */
    public static SpecVersion parse(String text) {
        Matcher m = text == null ? null : SEMVER.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a semantic version (MAJOR.MINOR.PATCH)");
        }
        try {
            return new SpecVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), m.group(4));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' has a version number too large", e);
        }
    }

    @Override
    public int compareTo(SpecVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) c = Integer.compare(minor, o.minor);
        if (c == 0) c = Integer.compare(patch, o.patch);
        if (c == 0 && !preRelease.equals(o.preRelease)) {
            // A release sorts after any of its pre-releases.
            if (preRelease.isEmpty()) return 1;
            if (o.preRelease.isEmpty()) return -1;
            c = preRelease.compareTo(o.preRelease);
        }
        return c;
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch + (preRelease.isEmpty() ? "" : "-" + preRelease);
    }
}
