package dev.pvkit.conformance.explore;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomGenerator;
import net.jqwik.api.Shrinkable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A property search over live tries: jqwik generates cases from a seed, a {@link TryRunner} runs each against the
 * driver, and the first failure is shrunk greedily — jqwik proposes smaller cases, the first one that fails the
 * same way (same {@link TryOutcome#kind}) twice in a row is kept — until no proposal fails or the shrink budget is
 * spent. Tries are live (a guest, a socket), so unlike a jqwik property this runs them one at a time, counts them and
 * stops at a time budget.
 *
 * <p>Some driver flaws show only when timing lines up (two completions behind one notification), so a case can fail
 * once and pass ever after. The minimal case is therefore run {@link #CONFIRMATIONS} more times, and one that never
 * fails again is given up for the last accepted step before it that does: the reported reproduction reproduces.
 */
public final class Explorer<T> {
    /** jqwik's generation size: how far generated values reach into their ranges (its default for 1000 tries). */
    static final int GEN_SIZE = 1000;
    /**
     * Runs of the minimal case after shrinking: a failure that hangs on timing (a missed kick the device may or may not
     * catch) is reported with how often it came back, so a replay that passes once is not taken for a fix.
     */
    static final int CONFIRMATIONS = 3;

    /** What the search reports while it runs. */
    public interface Progress {
        Progress NONE = new Progress() {
        };

        /** Try {@code number} of {@code planned} starts with the case {@code testCase} (as text). */
        default void tryStarted(int number, int planned, String testCase) {
        }

        /** Shrink step {@code step} was accepted after {@code tried} shrink runs; {@code minimal} is the case now. */
        default void shrunk(int step, int tried, String minimal) {
        }
    }

    /**
     * Thrown by a runner that can run no more tries (a live guest stopped answering): the search stops, keeping what
     * it found so far; a failure being shrunk is reported as shrunk so far.
     */
    public static final class Abort extends RuntimeException {
        public Abort(String why) {
            super(why);
        }
    }

    private final Arbitrary<T> cases;
    private final TryRunner<T> runner;
    private final Function<T, Map<String, String>> dimensions;

    /**
     * @param dimensions names a case's generated choices (dimension to value), for the statistics of what was covered
     */
    public Explorer(Arbitrary<T> cases, TryRunner<T> runner, Function<T, Map<String, String>> dimensions) {
        this.cases = cases;
        this.runner = runner;
        this.dimensions = dimensions;
    }

    /**
     * Runs up to {@code tries} generated cases from {@code seed} within {@code budget}, and shrinks the first failure
     * with at most {@code shrinkTries} more runs; confirming the result takes {@link #CONFIRMATIONS} runs, and stepping
     * back from a minimal case that never fails again up to {@code shrinkTries} more (counted in the finding's shrink
     * runs).
     */
    public Exploration<T> explore(long seed, int tries, Duration budget, int shrinkTries, Progress progress)
            throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        RandomGenerator<T> generator = JqwikContext.run(() -> cases.generator(GEN_SIZE, true));
        Random random = new Random(seed);
        Map<String, Map<String, Integer>> stats = new LinkedHashMap<>();
        for (int n = 1; n <= tries; n++) {
            if (System.nanoTime() >= deadline) {
                return new Exploration<>(seed, n - 1, tries, stats, null, "time budget of " + budget.toSeconds() + " s spent");
            }
            Shrinkable<T> s = JqwikContext.run(() -> generator.next(random));
            T c = value(s);
            count(stats, c);
            progress.tryStarted(n, tries, String.valueOf(c));
            TryOutcome outcome;
            try {
                outcome = runner.run(c);
            } catch (Abort a) {
                return new Exploration<>(seed, n - 1, tries, stats, null, a.getMessage());
            }
            if (outcome.failed()) {
                Finding<T> f = shrink(n, s, outcome, shrinkTries, deadline, progress);
                return new Exploration<>(seed, n, tries, stats, f, null);
            }
        }
        return new Exploration<>(seed, tries, tries, stats, null, null);
    }

    /** A shrinkable's value: flat-mapped parts are generated when first asked for, which needs jqwik's context. */
    private static <T> T value(Shrinkable<T> s) {
        return JqwikContext.run(s::value);
    }

    private void count(Map<String, Map<String, Integer>> stats, T c) {
        dimensions.apply(c).forEach((k, v) -> stats.computeIfAbsent(k, x -> new TreeMap<>()).merge(v, 1, Integer::sum));
    }

    private Finding<T> shrink(int tryNumber, Shrinkable<T> failing, TryOutcome failure, int budget, long deadline,
                              Progress progress) throws InterruptedException {
        // Every accepted step, the generated case first: a minimal case that will not fail again is given up for the
        // last step before it that does.
        List<Shrinkable<T>> path = new ArrayList<>(List.of(failing));
        List<TryOutcome> outcomes = new ArrayList<>(List.of(failure));
        Set<T> tried = new HashSet<>();
        tried.add(value(failing));
        int runs = 0;
        boolean improved = true;
        while (improved && runs < budget && System.nanoTime() < deadline) {
            improved = false;
            Shrinkable<T> from = path.get(path.size() - 1);
            // jqwik proposes the most aggressive shrinks first; a bounded look keeps a huge case from stalling here.
            List<Shrinkable<T>> candidates = JqwikContext.run(() -> from.shrink().limit(500).toList());
            for (Shrinkable<T> candidate : candidates) {
                if (runs >= budget || System.nanoTime() >= deadline) break;
                T value = value(candidate);
                if (!tried.add(value)) continue;
                TryOutcome o;
                try {
                    runs++;
                    o = runner.run(value);
                    // A step is taken only on a second failure in a row: one lucky failure of a race (a missed kick
                    // the device happened to miss too) would otherwise lead the shrink into cases that pass.
                    if (sameFailure(o, failure) && runs < budget) {
                        runs++;
                        o = runner.run(value);
                    } else {
                        o = TryOutcome.passed();
                    }
                } catch (Abort a) {
                    int last = path.size() - 1;
                    return new Finding<>(tryNumber, value(failing), failure, value(path.get(last)), outcomes.get(last),
                            last, runs, 0, 0);
                }
                if (sameFailure(o, failure)) {
                    path.add(candidate);
                    outcomes.add(o);
                    improved = true;
                    progress.shrunk(path.size() - 1, runs, String.valueOf(value));
                    break;
                }
            }
        }
        // Confirm the minimal case; when it never fails again, step back along the path to the last step that does.
        // Stepping back costs at most the shrink budget again, counted in the shrink runs; an abort or the deadline
        // ends it with the last result that was confirmed.
        int last = path.size() - 1;
        int step = last;
        int reproduced = 0;
        int confirmations = 0;
        int stepBackRuns = 0;
        for (int at = last; at >= 0; at--) {
            if (at < last && stepBackRuns + CONFIRMATIONS > budget) break;
            T candidate = value(path.get(at));
            int r = 0;
            int c = 0;
            boolean aborted = false;
            try {
                for (; c < CONFIRMATIONS && System.nanoTime() < deadline; c++) {
                    if (sameFailure(runner.run(candidate), failure)) r++;
                }
            } catch (Abort a) {
                aborted = true; // the runner can run no more: the confirmations so far stand
            }
            if (at < last) stepBackRuns += c;
            // The minimal case's own result stands unless an earlier step is seen to fail again.
            if (at == last || r > 0) {
                step = at;
                reproduced = r;
                confirmations = c;
            }
            if (r > 0 || aborted || c < CONFIRMATIONS) break;
        }
        return new Finding<>(tryNumber, value(failing), failure, value(path.get(step)), outcomes.get(step), step,
                runs + stepBackRuns, reproduced, confirmations);
    }

    private static boolean sameFailure(TryOutcome o, TryOutcome failure) {
        return o.failed() && o.kind().equals(failure.kind());
    }
}
