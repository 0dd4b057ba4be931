package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkCase;

import java.time.Duration;

/**
 * The generated-behaviour phase of a certification.
 *
 * @param tries       tries to generate (0: no exploration)
 * @param seed        the seed they are generated from
 * @param timeBudget  how long the phase may take, shrinking included
 * @param shrinkTries the most runs spent shrinking a failure
 * @param replay      a case to run instead of generated ones (from a report's replay command), or null
 */
public record ExploreOptions(int tries, long seed, Duration timeBudget, int shrinkTries, BlkCase replay) {
    public ExploreOptions {
        if (tries < 0 || shrinkTries < 0) throw new IllegalArgumentException("tries cannot be negative");
        if (timeBudget == null || timeBudget.isNegative()) throw new IllegalArgumentException("a time budget of zero or more is needed");
    }

    public static ExploreOptions none() {
        return new ExploreOptions(0, 0, Duration.ZERO, 0, null);
    }

    public boolean enabled() {
        return tries > 0 || replay != null;
    }
}
