package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Check;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Oracle 1 inside a search: the checks over one try's own driver sessions. A requirement the run counts as broken
 * (a MUST, and a SHOULD too under {@code --fail-on should}) that the run's first boot kept fails the try, so the
 * search shrinks the device behaviour that made the driver break it and prints its replay. A requirement the first
 * boot already broke does not: it fails the run anyway, and every try would fail alike.
 *
 * <p>Tries that are whole boots (a guest without the agent, {@link PassiveTries}) are judged on their own complete
 * sessions ({@link #judge}); tries that share a boot (the agent's, {@link LiveBlkTries}) on the session so far, by
 * what broke within the try ({@link #judgeSince}).
 */
final class TryChecks {
    private final CheckEngine engine;
    private final List<Requirement> scope;
    private final DriverChoice judged;
    private final FailOn failOn;
    /** Requirements whose failures fail no try: the first boot broke them, or a waiver holds. */
    private final Set<String> aside;

    /**
     * @param waived    requirements under a waiver that holds today: their failures fail no try, as they fail no run
     * @param firstBoot the events of the run's first boot, whose broken requirements the tries leave aside
     */
    TryChecks(PvSpec spec, List<Check> checks, DriverChoice judged, FailOn failOn, Set<String> waived, List<Event> firstBoot) {
        this(spec, checks, judged, failOn, waived, firstBoot, CertificationScope.blkAreas());
    }

    /** As above, judging the requirements of {@code areas} (a net certification's, for one). */
    TryChecks(PvSpec spec, List<Check> checks, DriverChoice judged, FailOn failOn, Set<String> waived, List<Event> firstBoot,
              Set<String> areas) {
        this.engine = new CheckEngine(spec, checks);
        this.scope = CertificationScope.requirements(spec, areas);
        this.judged = judged;
        this.failOn = failOn;
        Set<String> aside = new TreeSet<>(waived);
        aside.addAll(broken(firstBoot));
        this.aside = Set.copyOf(aside);
    }

    /** The try's failure by the checks, or null: the first counted requirement its sessions broke, with the evidence. */
    TryOutcome judge(List<Event> tryEvents) {
        for (RequirementVerdict v : evaluate(tryEvents, -1)) {
            String id = v.requirement().id();
            if (counts(v) && !aside.contains(id)) {
                return TryOutcome.failed(id, v.evidence().isEmpty() ? v.requirement().statement() : v.evidence().get(0).summary());
            }
        }
        return null;
    }

    /**
     * For a try inside a longer session (a live guest with the agent, whose tries share a boot): the first counted
     * requirement, not left aside, broken by a step at or after {@code fromMicros}, the try's start. The session is
     * judged as it stands (cut at the try's end); only a violation whose first offending step lies within the try
     * counts, so what came before, and any judgement of the cut itself, does not.
     */
    TryOutcome judgeSince(List<Event> events, long fromMicros) {
        for (RequirementVerdict v : evaluate(events, fromMicros)) {
            String id = v.requirement().id();
            if (!counts(v) || aside.contains(id)) continue;
            for (var e : v.evidence()) {
                if (e.guestSeconds() >= 0) return TryOutcome.failed(id, e.summary());
            }
        }
        return null;
    }

    private Set<String> broken(List<Event> events) {
        Set<String> ids = new TreeSet<>();
        for (RequirementVerdict v : evaluate(events, -1)) if (counts(v)) ids.add(v.requirement().id());
        return Set.copyOf(ids);
    }

    /** The judged driver's sessions in {@code events}, checked; evidence times from {@code startMicros} (or -1). */
    private List<RequirementVerdict> evaluate(List<Event> events, long startMicros) {
        List<DriverSession> sessions = SessionSplitter.split(events).stream().filter(judged::judges).toList();
        return sessions.isEmpty() ? List.of() : engine.evaluate(scope, sessions, startMicros);
    }

    private boolean counts(RequirementVerdict v) {
        return v.outcome() == Outcome.FAIL && (v.isViolation() || failOn == FailOn.SHOULD);
    }
}
