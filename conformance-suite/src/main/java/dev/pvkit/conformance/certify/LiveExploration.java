package dev.pvkit.conformance.certify;

import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.conformance.explore.BehaviourDevice;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.BlkCaseSpace;
import dev.pvkit.conformance.explore.BlkCases;
import dev.pvkit.conformance.explore.CaseCodec;
import dev.pvkit.conformance.explore.Exploration;
import dev.pvkit.conformance.explore.Explorer;
import dev.pvkit.conformance.explore.Finding;
import dev.pvkit.conformance.explore.NetCase;
import dev.pvkit.conformance.explore.NetCases;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.verdict.ExplorationSummary;

import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The generated-behaviour phase on a live guest: jqwik generates the device's serving behaviour and a workload for
 * each try ({@link BlkCaseSpace#live} around the device's offer), {@link LiveBlkTries} runs and judges it, and the
 * first failure is shrunk on the same guest. Progress says try i of n and the time left.
 */
final class LiveExploration {
    /** Tries between progress lines (every failure and the last try are shown too). */
    private static final int PROGRESS_EVERY = 10;

    private LiveExploration() {
    }

    /**
     * Runs {@code e}'s tries (or its replay) on the guest booted with feature set {@code set}, whose driver sees the
     * offer {@code seen}; {@code regions} counts the disk regions every boot of the run used.
     */
    static ExplorationSummary run(ExploreOptions e, String set, BlkBehaviour seen, GuestAgent agent, BehaviourDevice device,
                                  BlockStore store, long diskBytes, EventLog log, AtomicLong announced, java.util.concurrent.atomic.AtomicInteger regions,
                                  TryChecks checks, String replayPrefix, Progress progress) throws InterruptedException {
        BlkCaseSpace space = BlkCaseSpace.live();
        LiveBlkTries tries = new LiveBlkTries(agent, device, store, (long) space.diskBlocks() * dev.pvkit.conformance.explore.BlkOp.BLOCK_BYTES,
                diskBytes, log, announced, regions, checks);
        int planned = (int) Math.min(e.tries(), Math.max(1, tries.capacityForTries() - e.shrinkTries()));
        return search(e, set, seen, space, tries, planned, false, replayPrefix, progress);
    }

    /**
     * Runs {@code e}'s tries (or its replay) on a guest without the agent: each try boots it afresh ({@link PassiveTries})
     * and its own result through the exit device judges it.
     */
    static ExplorationSummary runPassive(ExploreOptions e, String set, BlkBehaviour seen, PassiveTries tries, String replayPrefix,
                                         Progress progress) throws InterruptedException {
        return search(e, set, seen, BlkCaseSpace.passive(), tries, e.tries(), true, replayPrefix, progress);
    }

    private static ExplorationSummary search(ExploreOptions e, String set, BlkBehaviour seen, BlkCaseSpace space,
                                             TryRunner<BlkCase> tries, int planned, boolean passive, String replayPrefix,
                                             Progress progress)
            throws InterruptedException {
        return search(new Search<>(e.seed(), planned, e.timeBudget(), e.shrinkTries(), e.replay()), set,
                BlkCases.cases(space).map(c -> new BlkCase(c.behaviour().withOffer(seen), c.workload())), tries,
                c -> passive ? BlkCases.behaviourDimensions(c) : BlkCases.dimensions(c), CaseCodec::json,
                c -> replayCommand(replayPrefix, c), progress);
    }

    /**
     * Runs generated virtio-net tries on a live guest ({@link LiveNetTries}), or the one case {@code replay}; {@code cpus}
     * bounds the CPUs a workload pings from.
     */
    static ExplorationSummary runNet(int tries, long seed, Duration budget, NetCase replay, String set, int cpus, LiveNetTries runner,
                                     String replayPrefix, Progress progress) throws InterruptedException {
        return search(new Search<>(seed, tries, budget, RunTerms.SHRINK_TRIES, replay), set, NetCases.cases(cpus), runner,
                NetCases::dimensions, CaseCodec::json, c -> replayPrefix + " --replay " + CaseCodec.encode(c), progress);
    }

    /** What one search is asked for: tries from a seed within a budget, or one case to replay instead. */
    private record Search<T>(long seed, int planned, Duration budget, int shrinkTries, T replay) {
    }

    /**
     * The search both devices share: the replay, or {@code s.planned} generated tries with progress lines, the first
     * failure shrunk and confirmed; its summary for the report.
     */
    private static <T> ExplorationSummary search(Search<T> s, String set, Arbitrary<T> cases, TryRunner<T> tries,
                                                 Function<T, Map<String, String>> dimensions, Function<T, String> json,
                                                 Function<T, String> replayCommand, Progress progress) throws InterruptedException {
        if (s.replay() != null) {
            progress.step("explore: replaying one case (" + set + ")");
            TryOutcome o = tries.run(s.replay());
            String text = json.apply(s.replay());
            ExplorationSummary.Failure f = o.failed()
                    ? new ExplorationSummary.Failure(o.kind(), o.detail(), 1, text, text, 0, replayCommand.apply(s.replay()), 1, 1) : null;
            progress.step("explore: replayed case " + (o.failed() ? "failed: " + o : "passed"));
            return new ExplorationSummary(s.seed(), 1, 1, Map.of("feature set", Map.of(set, 1)), null, f, true);
        }
        long start = System.nanoTime();
        progress.step(String.format("explore: %s: %d tries of generated device behaviour (seed %d, at most %d s)", set, s.planned(),
                s.seed(), s.budget().toSeconds()));
        Explorer<T> explorer = new Explorer<>(cases, tries, c -> {
            Map<String, String> d = new java.util.LinkedHashMap<>();
            d.put("feature set", set);
            d.putAll(dimensions.apply(c));
            return d;
        });
        Exploration<T> r = explorer.explore(s.seed(), s.planned(), s.budget(), s.shrinkTries(), new Explorer.Progress() {
            @Override
            public void tryStarted(int number, int of, String testCase) {
                if (number != 1 && number % PROGRESS_EVERY != 0 && number != of) return;
                double elapsed = (System.nanoTime() - start) / 1e9;
                double left = number > 1 ? elapsed / (number - 1) * (of - number + 1) : Double.NaN;
                progress.step(String.format("explore: %s: try %d of %d (%.0f s so far%s)", set, number, of, elapsed,
                        Double.isNaN(left) ? "" : String.format(", about %.0f s left", Math.min(left, s.budget().toSeconds() - elapsed))));
            }

            @Override
            public void shrunk(int step, int tried, String minimal) {
                progress.step("explore: shrinking, step " + step + " after " + tried + " runs");
            }
        });
        ExplorationSummary.Failure failure = null;
        if (r.failed()) {
            Finding<T> f = r.finding();
            failure = new ExplorationSummary.Failure(f.outcome().kind(), f.outcome().detail(), f.tryNumber(), json.apply(f.original()),
                    json.apply(f.minimal()), f.shrinkSteps(), replayCommand.apply(f.minimal()), f.reproduced(), f.confirmations());
            progress.step("explore: try " + f.tryNumber() + " failed (" + f.failure() + "); shrunk in " + f.shrinkSteps() + " steps");
        } else {
            progress.step("explore: " + r.tries() + " tries passed" + (r.stopped() != null ? " (" + r.stopped() + ")" : ""));
        }
        return new ExplorationSummary(s.seed(), r.tries(), s.planned(), r.statistics(), r.stopped(), failure, false);
    }

    /** {@code prefix} ({@link ReplayCommand#prefix}: the command and the run's guest options), then the case's word. */
    static String replayCommand(String prefix, BlkCase c) {
        return prefix + " --replay " + CaseCodec.encode(c);
    }
}
