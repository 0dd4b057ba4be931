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
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.verdict.ExplorationSummary;

import java.util.Map;
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
        if (e.replay() != null) {
            progress.step("explore: replaying one case (" + set + ")");
            TryOutcome o = tries.run(e.replay());
            String json = CaseCodec.json(e.replay());
            ExplorationSummary.Failure f = o.failed()
                    ? new ExplorationSummary.Failure(o.kind(), o.detail(), 1, json, json, 0, replayCommand(replayPrefix, e.replay()), 1, 1) : null;
            progress.step("explore: replayed case " + (o.failed() ? "failed: " + o : "passed"));
            return new ExplorationSummary(e.seed(), 1, 1, Map.of("feature set", Map.of(set, 1)), null, f, true);
        }
        long start = System.nanoTime();
        progress.step(String.format("explore: %s: %d tries of generated device behaviour (seed %d, at most %d s)", set, planned,
                e.seed(), e.timeBudget().toSeconds()));
        Explorer<BlkCase> explorer = new Explorer<>(BlkCases.cases(space).map(c -> new BlkCase(
                c.behaviour().withOffer(seen), c.workload())), tries, c -> {
            Map<String, String> d = new java.util.LinkedHashMap<>();
            d.put("feature set", set);
            d.putAll(passive ? BlkCases.behaviourDimensions(c) : BlkCases.dimensions(c));
            return d;
        });
        Exploration<BlkCase> r = explorer.explore(e.seed(), planned, e.timeBudget(), e.shrinkTries(), new Explorer.Progress() {
            @Override
            public void tryStarted(int number, int of, String testCase) {
                if (number != 1 && number % PROGRESS_EVERY != 0 && number != of) return;
                double elapsed = (System.nanoTime() - start) / 1e9;
                double left = number > 1 ? elapsed / (number - 1) * (of - number + 1) : Double.NaN;
                progress.step(String.format("explore: %s: try %d of %d (%.0f s so far%s)", set, number, of, elapsed,
                        Double.isNaN(left) ? "" : String.format(", about %.0f s left", Math.min(left, e.timeBudget().toSeconds() - elapsed))));
            }

            @Override
            public void shrunk(int step, int tried, String minimal) {
                progress.step("explore: shrinking, step " + step + " after " + tried + " runs");
            }
        });
        ExplorationSummary.Failure failure = null;
        if (r.failed()) {
            Finding<BlkCase> f = r.finding();
            failure = new ExplorationSummary.Failure(f.outcome().kind(), f.outcome().detail(), f.tryNumber(), CaseCodec.json(f.original()),
                    CaseCodec.json(f.minimal()), f.shrinkSteps(), replayCommand(replayPrefix, f.minimal()), f.reproduced(), f.confirmations());
            progress.step("explore: try " + f.tryNumber() + " failed (" + f.failure() + "); shrunk in " + f.shrinkSteps() + " steps");
        } else {
            progress.step("explore: " + r.tries() + " tries passed" + (r.stopped() != null ? " (" + r.stopped() + ")" : ""));
        }
        return new ExplorationSummary(e.seed(), r.tries(), planned, r.statistics(), r.stopped(), failure, false);
    }

    /** {@code prefix} ({@link ReplayCommand#prefix}: the command and the run's guest options), then the case's word. */
    static String replayCommand(String prefix, BlkCase c) {
        return prefix + " --replay " + CaseCodec.encode(c);
    }
}
