package dev.pvkit.conformance.verdict;

import java.util.List;
import java.util.Map;

/**
 * What the generated-behaviour phase of a run did, as the reports show it.
 *
 * @param seed       the seed the tries were generated from ({@code pvkit certify --seed} repeats them)
 * @param tries      tries run (shrinking not counted)
 * @param planned    tries asked for
 * @param statistics per dimension of the generated cases, how often each value came up
 * @param stopped    why the phase stopped early, or null
 * @param failure    the first failing try, shrunk; null when every try passed
 * @param replayed   true when the run replayed one given case instead of generating
 */
public record ExplorationSummary(long seed, int tries, int planned, Map<String, Map<String, Integer>> statistics,
                                 String stopped, Failure failure, boolean replayed) {
    public ExplorationSummary {
        statistics = Map.copyOf(statistics);
    }

    /**
     * A failing try.
     *
     * @param kind        which oracle failed it (data, agent, kernel-log, capacity, a requirement id)
     * @param detail      what it saw
     * @param tryNumber   which try failed first
     * @param original    the case as generated (JSON)
     * @param minimal     the smallest case that still fails the same way (JSON)
     * @param shrinkSteps accepted shrinks between them
     * @param replay      the command that runs the minimal case again
     * @param reproduced  how many of the {@code confirmations} runs of the minimal case failed the same way again
     */
    public record Failure(String kind, String detail, int tryNumber, String original, String minimal, int shrinkSteps, String replay,
                          int reproduced, int confirmations) {
    }

    /**
     * One summary of several boots' (each a feature set): tries and statistics add up, the first failure and the first
     * early stop are kept.
     */
    public static ExplorationSummary merge(List<ExplorationSummary> parts) {
        if (parts.size() == 1) return parts.get(0);
        int tries = 0;
        int planned = 0;
        Map<String, Map<String, Integer>> stats = new java.util.TreeMap<>();
        String stopped = null;
        Failure failure = null;
        boolean replayed = false;
        for (ExplorationSummary p : parts) {
            tries += p.tries();
            planned += p.planned();
            p.statistics().forEach((k, v) -> v.forEach((value, n) -> stats.computeIfAbsent(k, x -> new java.util.TreeMap<>()).merge(value, n, Integer::sum)));
            if (stopped == null) stopped = p.stopped();
            if (failure == null) failure = p.failure();
            replayed |= p.replayed();
        }
        return new ExplorationSummary(parts.get(0).seed(), tries, planned, stats, stopped, failure, replayed);
    }

    public boolean failed() {
        return failure != null;
    }

    /** The statistics as "dimension: value n, value n" lines, dimensions by name, values most frequent first. */
    public List<String> statisticsLines() {
        return statisticsLines(statistics);
    }

    /** {@link #statisticsLines()} for any statistics of generated cases (dimension, value, how often). */
    public static List<String> statisticsLines(Map<String, Map<String, Integer>> statistics) {
        return statistics.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ": " + values(e.getValue(), " ")).toList();
    }

    /** One dimension's values, most frequent first, each followed by {@code between} and its count, comma-separated. */
    public static String values(Map<String, Integer> counts, String between) {
        return String.join(", ", counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .map(v -> v.getKey() + between + v.getValue()).toList());
    }
}
