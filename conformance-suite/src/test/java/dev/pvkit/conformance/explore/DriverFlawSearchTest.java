package dev.pvkit.conformance.explore;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The second self-test: the property search must find every {@link DriverFlaw} with PVKit's generated device
 * behaviour, and shrink each to a case that shows the behaviour exposing it, while the correct driver passes every
 * try. Prints found / total, the try each was found at and its shrunk case; anything below 100 % fails.
 */
class DriverFlawSearchTest {
    static final long SEED = 20261204L;
    /** Tries per flaw: the quick profile's budget. */
    static final int TRIES = 150;
    static final int SHRINK_TRIES = 60;
    static final BlkCaseSpace SPACE = BlkCaseSpace.full();
    private static final Map<String, String> FOUND = new ConcurrentSkipListMap<>();
    private static final Map<String, String> MISSED = new ConcurrentSkipListMap<>();

    /** What a shrunk case must still show for each flaw: the device behaviour (or workload) that exposes it. */
    static Predicate<BlkCase> exposes(DriverFlaw flaw) {
        return switch (flaw) {
            case NONE -> c -> false;
            case ASSUMES_IN_ORDER -> c -> c.behaviour().completions() != Completions.IN_ORDER;
            case IGNORES_ERROR_STATUS -> c -> !c.behaviour().failures().isEmpty();
            case UNSUPP_TAKEN_AS_SUCCESS -> c -> c.behaviour().failures().containsValue(InjectedStatus.UNSUPP);
            case NEVER_REREADS_CAPACITY -> c -> c.behaviour().capacityChange() >= 0;
            case SPLIT_INDEX_WRAP -> c -> !c.behaviour().packed() && c.workload().requests() > 65_536;
            case PACKED_WRAP_COUNTER -> c -> c.behaviour().packed();
            case ONE_COMPLETION_PER_NOTIFICATION -> c -> c.behaviour().batch() > 1 || c.workload().depth() > 1;
            // Sent only without EVENT_IDX, and only while the device holds requests.
            case SPURIOUS_NOTIFICATION_FATAL -> c -> c.behaviour().spurious() && !c.behaviour().eventIdx()
                    && c.behaviour().batch() > 1 && c.behaviour().delayMicros() > 0;
            case ASSUMES_EVENT_IDX -> c -> !c.behaviour().eventIdx();
            case ASSUMES_INDIRECT -> c -> !c.behaviour().indirect();
            case WRITES_READ_ONLY_DISK -> c -> c.behaviour().readOnly();
            case ASSUMES_QUEUE_SIZE_256 -> c -> c.behaviour().queueSize() < 256;
        };
    }

    static Exploration<BlkCase> search(DriverFlaw flaw, int tries) throws InterruptedException {
        return new Explorer<>(BlkCases.cases(SPACE), new JavaDriverTries(flaw, SPACE), BlkCases::dimensions)
                .explore(SEED, tries, Duration.ofMinutes(5), SHRINK_TRIES, Explorer.Progress.NONE);
    }

    @TestFactory
    Stream<DynamicTest> everyFlawIsFoundAndShrunkToTheBehaviourThatExposesIt() {
        return Arrays.stream(DriverFlaw.values()).filter(f -> f != DriverFlaw.NONE).map(flaw -> DynamicTest.dynamicTest(flaw.name(), () -> {
            long t0 = System.nanoTime();
            Exploration<BlkCase> r = search(flaw, TRIES);
            double s = (System.nanoTime() - t0) / 1e9;
            if (!r.failed()) {
                MISSED.put(flaw.name(), r.tries() + " tries (" + r.stopped() + ")");
            } else {
                Finding<BlkCase> f = r.finding();
                FOUND.put(flaw.name(), String.format("try %d, %d shrink steps in %d runs, reproduced %d/%d, %.1f s: %s%n      minimal: %s",
                        f.tryNumber(), f.shrinkSteps(), f.shrinkTries(), f.reproduced(), f.confirmations(), s, f.outcome(), f.minimal()));
            }
            assertThat(r.failed()).as("%s not found in %d tries", flaw, r.tries()).isTrue();
            assertThat(r.finding().minimal()).as("%s shrunk to %s", flaw, r.finding().minimal()).matches(exposes(flaw));
            assertThat(r.finding().outcome().kind()).isEqualTo(r.finding().failure().kind());
            // The printed replay word runs the minimal case again, and it fails the same way within eight runs: a
            // missing kick shows only when the device's re-check misses the request, so even a case that failed in all
            // three confirmation runs can pass once.
            BlkCase replayed = CaseCodec.decode(CaseCodec.encode(r.finding().minimal()));
            int again = 0;
            for (int i = 0; i < 8 && again == 0; i++) {
                if (new JavaDriverTries(flaw, SPACE).run(replayed).kind().equals(r.finding().outcome().kind())) again++;
            }
            assertThat(again).as("%s replayed (its minimal case failed again in %d of %d confirmation runs)", flaw,
                    r.finding().reproduced(), r.finding().confirmations()).isPositive();
        }));
    }

    @Test
    void theCorrectDriverPassesEveryTry() throws InterruptedException {
        Exploration<BlkCase> r = search(DriverFlaw.NONE, 60);
        assertThat(r.finding()).as("the correct driver failed: %s", r.finding()).isNull();
        assertThat(r.tries()).isEqualTo(60);
        System.out.println("correct driver: " + r.tries() + " tries passed; covered:");
        dev.pvkit.conformance.verdict.ExplorationSummary.statisticsLines(r.statistics()).forEach(l -> System.out.println("  " + l));
    }

    @AfterAll
    static void score() {
        int total = FOUND.size() + MISSED.size();
        if (total == 0) return;
        System.out.printf("driver flaws found: %d / %d (%.0f %%)%n", FOUND.size(), total, 100.0 * FOUND.size() / total);
        FOUND.forEach((k, v) -> System.out.println("  " + k + ": " + v));
        MISSED.forEach((k, v) -> System.out.println("  MISSED " + k + ": " + v));
    }
}
