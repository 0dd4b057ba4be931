package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.CaseCodec;
import dev.pvkit.conformance.profile.InvalidFileException;
import dev.pvkit.conformance.profile.Profile;
import dev.pvkit.conformance.profile.Profiles;
import dev.pvkit.conformance.profile.Waivers;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.spec.PvSpec;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;

/**
 * What a user asks of a certification beyond the guest, in the words both front ends share (the {@code pvkit
 * certify} options and the Maven plugin's parameters): a profile by name or file, a waiver file, tries, seed, time
 * budget, a replay case, fail-on. {@link #apply} loads and checks them all before anything boots, so a typo costs
 * no run, and the CLI and the plugin refuse the same mistakes with the same one-line message.
 *
 * @param profile    a bundled profile's name or a profile file's path; null for {@link Profiles#DEFAULT}
 * @param waivers    a waiver file, or null for none
 * @param tries      tries of generated device behaviour, or null for the profile's
 * @param seed       the seed they are generated from, or null for a new one
 * @param timeBudget the most the tries may take, or null for the profile's
 * @param replay     one case to run instead of generated tries (a report's replay word), or null
 * @param failOn     which failures fail the run, or null for the profile's requirement set
 */
public record RunTerms(String profile, Path waivers, Integer tries, Long seed, Duration timeBudget, String replay,
                       FailOn failOn) {

    /** The most runs spent shrinking a failing try on the live guest. */
    public static final int SHRINK_TRIES = 30;

    /** The default profile and nothing else. */
    public static RunTerms defaults() {
        return new RunTerms(null, null, null, null, null, null, null);
    }

    /** The run's options and its generated-behaviour phase, from {@code base} (guest, report directory, limits). */
    public record Resolved(CertifyOptions options, ExploreOptions explore) {
    }

    /**
     * Loads the profile and the waivers, decodes the replay case and settles tries, seed and budget.
     *
     * @throws InvalidTermsException with one line naming the option and what is wrong with it
     */
    public Resolved apply(PvSpec spec, CertifyOptions base) throws InvalidTermsException {
        Profile chosen;
        Waivers accepted;
        try {
            chosen = Profiles.load(profile != null ? profile : Profiles.DEFAULT, spec.version());
            accepted = waivers == null ? null : Waivers.load(waivers, spec);
        } catch (InvalidFileException e) {
            throw new InvalidTermsException(null, e.getMessage());
        }
        int triesWanted = tries != null ? tries : chosen.tries();
        if (triesWanted < 0) throw new InvalidTermsException("tries", " must be 0 or more, not " + triesWanted);
        if (timeBudget != null && timeBudget.isNegative()) throw new InvalidTermsException("time-budget", " cannot be negative");
        BlkCase replayed = null;
        if (replay != null) {
            try {
                replayed = CaseCodec.decode(replay);
            } catch (IllegalArgumentException e) {
                throw new InvalidTermsException("replay", ": " + e.getMessage());
            }
        }
        // A printed seed is 48 bits: short enough to type back, and what the reports show.
        long s = seed != null ? seed : new SecureRandom().nextLong() >>> 16;
        ExploreOptions explore = new ExploreOptions(triesWanted, s, timeBudget != null ? timeBudget : chosen.timeBudget(),
                SHRINK_TRIES, replayed);
        return new Resolved(base.withProfile(chosen, failOn).withWaivers(accepted), explore);
    }

    /**
     * A profile, waiver file or option that cannot be used. {@link #term} names the option (as the CLI spells it
     * without its dashes) or is null when the message already names a file; {@link #problem} follows that name.
     */
    public static final class InvalidTermsException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String term;
        private final String problem;

        public InvalidTermsException(String term, String problem) {
            super(term == null ? problem : term + problem);
            this.term = term;
            this.problem = problem;
        }

        public String term() {
            return term;
        }

        public String problem() {
            return problem;
        }

        /** One line for the user, with the option named the front end's way (e.g. {@code --tries}, {@code <tries>}). */
        public String message(java.util.function.UnaryOperator<String> termName) {
            return term == null ? problem : termName.apply(term) + problem;
        }
    }
}
