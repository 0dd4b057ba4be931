package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.Event;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * A deliberately wrong driver for the self-test: it breaks exactly one requirement ({@code breaks}, or null for a
 * correct driver that must come out clean). {@code run} drives it and returns everything observed, in time order.
 */
public record WrongDriver(String name, String breaks, Callable<List<Event>> run) {

    public static WrongDriver breaking(String requirement, String name, Callable<List<Event>> run) {
        return new WrongDriver(name, requirement, run);
    }

    public static WrongDriver correct(String name, Callable<List<Event>> run) {
        return new WrongDriver(name, null, run);
    }

    /**
     * Asserts that the verdicts on this driver's run hold exactly one FAIL, of the requirement it breaks (none for a
     * correct driver), and counts it as caught or missed for the mutation score.
     */
    public void assertJudged(java.util.List<dev.pvkit.conformance.verdict.RequirementVerdict> verdicts,
                             java.util.Set<String> caught, java.util.Set<String> missed) {
        var fail = dev.pvkit.conformance.verdict.Outcome.FAIL;
        java.util.List<String> failed = verdicts.stream().filter(v -> v.outcome() == fail)
                .map(v -> v.requirement().id()).toList();
        java.util.List<String> expected = breaks == null ? java.util.List.of() : java.util.List.of(breaks);
        if (breaks != null) (failed.equals(expected) ? caught : missed).add(toString());
        org.assertj.core.api.Assertions.assertThat(failed).as("%s: FAILs%s", this, verdicts.stream()
                        .filter(v -> v.outcome() == fail)
                        .flatMap(v -> v.evidence().stream().map(e -> "\n  " + v.requirement().id() + ": " + e.summary())).toList())
                .isEqualTo(expected);
    }

    @Override
    public String toString() {
        return breaks == null ? "correct: " + name : breaks + ": " + name;
    }
}
