package dev.pvkit.conformance.explore;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The search itself, on a property whose answer is known (a driver that fails on any failure injected into its
 * third request or later): it is found, shrunk to the single smallest failing choice, the same from the same seed,
 * and a case survives its replay word unchanged. These runs judge cases in memory; {@link DriverFlawSearchTest}
 * runs them live.
 */
class ExplorerTest {
    private static final BlkCaseSpace SPACE = BlkCaseSpace.full();

    /** Fails when a failure is injected at request 2 or later and the workload gets that far. */
    private static TryOutcome lateFailureBreaks(BlkCase c) {
        boolean hit = c.behaviour().failures().keySet().stream().anyMatch(o -> o >= 2 && o < c.workload().requests());
        return hit ? TryOutcome.failed("status", "late failure") : TryOutcome.passed();
    }

    private static Exploration<BlkCase> search(long seed, AtomicInteger runs) throws InterruptedException {
        return new Explorer<>(BlkCases.cases(SPACE), c -> {
            runs.incrementAndGet();
            return lateFailureBreaks(c);
        }, BlkCases::dimensions).explore(seed, 500, Duration.ofMinutes(1), 400, Explorer.Progress.NONE);
    }

    @Test
    void findsAndShrinksToTheSmallestCaseThatStillFailsTheSameWay() throws InterruptedException {
        Exploration<BlkCase> r = search(7, new AtomicInteger());
        assertThat(r.failed()).isTrue();
        BlkCase min = r.finding().minimal();
        // Everything that does not matter went back to the plain device and the shortest workload.
        assertThat(min.behaviour().failures()).hasSize(1).containsKey(2);
        assertThat(min.workload().requests()).isEqualTo(3);
        BlkBehaviour plain = BlkBehaviour.plain();
        assertThat(min.behaviour().completions()).isEqualTo(plain.completions());
        assertThat(min.behaviour().batch()).isEqualTo(1);
        assertThat(min.behaviour().delayMicros()).isZero();
        assertThat(min.behaviour().capacityChange()).isEqualTo(-1);
        assertThat(min.behaviour().spurious()).isFalse();
        assertThat(r.finding().outcome().kind()).isEqualTo("status");
        assertThat(r.finding().shrinkSteps()).isPositive();
    }

    /**
     * A runner that judges by {@link #lateFailureBreaks}, except that once the search has found that failure (so while
     * it shrinks), every other case also fails its first {@code lucky} runs, as a race lost by chance does.
     */
    private static TryRunner<BlkCase> racyRunner(int lucky) {
        Map<BlkCase, Integer> runsOf = new java.util.HashMap<>();
        boolean[] shrinking = {false};
        return c -> {
            TryOutcome real = lateFailureBreaks(c);
            if (real.failed() || !shrinking[0]) {
                shrinking[0] |= real.failed();
                return real;
            }
            int n = runsOf.merge(c, 1, Integer::sum);
            return n <= lucky ? TryOutcome.failed("status", "a race lost by chance") : real;
        };
    }

    @Test
    void aFailureThatDoesNotComeBackIsNoShrinkStep() throws InterruptedException {
        Exploration<BlkCase> r = new Explorer<>(BlkCases.cases(SPACE), racyRunner(1), BlkCases::dimensions)
                .explore(7, 500, Duration.ofMinutes(1), 400, Explorer.Progress.NONE);
        assertThat(r.failed()).isTrue();
        assertThat(lateFailureBreaks(r.finding().minimal()).failed()).as("minimal %s", r.finding().minimal()).isTrue();
        assertThat(r.finding().minimal().behaviour().failures()).hasSize(1).containsKey(2);
        assertThat(r.finding().deterministic()).isTrue();
    }

    @Test
    void aMinimalCaseThatNeverFailsAgainGivesWayToTheLastStepThatDoes() throws InterruptedException {
        // Every wrong case fails twice in a row, so the shrink walks into them; the confirmations catch it.
        TryRunner<BlkCase> racy = racyRunner(2);
        AtomicInteger calls = new AtomicInteger();
        Exploration<BlkCase> r = new Explorer<>(BlkCases.cases(SPACE), c -> {
            calls.incrementAndGet();
            return racy.run(c);
        }, BlkCases::dimensions).explore(7, 500, Duration.ofMinutes(1), 400, Explorer.Progress.NONE);
        assertThat(r.failed()).isTrue();
        Finding<BlkCase> f = r.finding();
        assertThat(lateFailureBreaks(f.minimal()).failed()).as("minimal %s", f.minimal()).isTrue();
        assertThat(f.reproduced()).isEqualTo(f.confirmations()).isEqualTo(3);
        assertThat(f.outcome().detail()).as("the outcome of the step reported").isEqualTo("late failure");
        // Every run is counted: the search's tries, the shrink's and step-back's runs, the 3 confirmations.
        assertThat(calls.get()).isEqualTo(r.tries() + f.shrinkTries() + 3);
    }

    @Test
    void aMinimalCaseNeverRunAgainIsNotCalledDeterministic() {
        BlkCase c = new BlkCase(BlkBehaviour.plain(), new BlkWorkload(List.of(new BlkOp(BlkOp.Kind.READ, 0, 1)), 1, 1));
        TryOutcome failed = TryOutcome.failed("status", "late failure");
        assertThat(new Finding<>(1, c, failed, c, failed, 0, 0, 0, 0).deterministic()).isFalse();
        assertThat(new Finding<>(1, c, failed, c, failed, 0, 0, 3, 3).deterministic()).isTrue();
    }

    @Test
    void theSameSeedGivesTheSameSearch() throws InterruptedException {
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        Exploration<BlkCase> first = search(11, a);
        Exploration<BlkCase> second = search(11, b);
        assertThat(second.finding()).isEqualTo(first.finding());
        assertThat(b.get()).isEqualTo(a.get());
        assertThat(second.statistics()).isEqualTo(first.statistics());
    }

    @Test
    void aPassingSearchRunsEveryTryAndCountsWhatItCovered() throws InterruptedException {
        Exploration<BlkCase> r = new Explorer<>(BlkCases.cases(SPACE), c -> TryOutcome.passed(), BlkCases::dimensions)
                .explore(3, 200, Duration.ofMinutes(1), 10, Explorer.Progress.NONE);
        assertThat(r.failed()).isFalse();
        assertThat(r.tries()).isEqualTo(200);
        Map<String, Map<String, Integer>> s = r.statistics();
        assertThat(s.get("packed ring offered")).containsOnlyKeys("yes", "no");
        assertThat(s.get("completion order")).containsOnlyKeys("in-order", "reversed", "shuffled");
        assertThat(s.get("requests")).containsKey("over 10,000");
        assertThat(s.get("packed ring offered").values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
    }

    @Test
    void aTimeBudgetStopsTheSearchAndSaysSo() throws InterruptedException {
        Exploration<BlkCase> r = new Explorer<>(BlkCases.cases(SPACE), c -> TryOutcome.passed(), BlkCases::dimensions)
                .explore(3, 1000, Duration.ZERO, 10, Explorer.Progress.NONE);
        assertThat(r.tries()).isZero();
        assertThat(r.stopped()).contains("time budget");
    }

    @Test
    void aCaseSurvivesItsReplayWord() throws InterruptedException {
        Exploration<BlkCase> r = search(7, new AtomicInteger());
        BlkCase c = r.finding().original();
        String word = CaseCodec.encode(c);
        assertThat(word).matches("[A-Za-z0-9_-]+");
        assertThat(CaseCodec.decode(word)).isEqualTo(c);
    }

    @Test
    void aWordThatIsNoCaseIsRefusedWithItsReason() {
        assertThatThrownBy(() -> CaseCodec.decode("not base64!")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("base64url");
        String badQueue = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                CaseCodec.json(new BlkCase(BlkBehaviour.plain(), new BlkWorkload(List.of(new BlkOp(BlkOp.Kind.READ, 0, 1)), 1, 1)))
                        .replace("\"queueSize\":256", "\"queueSize\":3").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThatThrownBy(() -> CaseCodec.decode(badQueue)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a power of 2");
    }
}
