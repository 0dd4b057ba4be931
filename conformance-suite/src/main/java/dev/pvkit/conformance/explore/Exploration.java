package dev.pvkit.conformance.explore;

import java.util.Map;

/**
 * What a search did: its seed, how many tries it ran and of how many asked, what the generated cases covered, and
 * the finding (null when every try passed).
 *
 * @param seed       the seed that reproduces the generated cases
 * @param tries      tries run (shrinking not counted)
 * @param planned    tries asked for
 * @param statistics per dimension of the cases, how often each value was generated
 * @param finding    the first failure, shrunk; null when none
 * @param stopped    why the search stopped before {@code planned} tries, or null
 */
public record Exploration<T>(long seed, int tries, int planned, Map<String, Map<String, Integer>> statistics,
                             Finding<T> finding, String stopped) {
    public boolean failed() {
        return finding != null;
    }
}
