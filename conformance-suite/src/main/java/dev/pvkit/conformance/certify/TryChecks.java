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
 * <p>Only for tries that are whole boots (a guest without the agent, {@link PassiveTries}): their sessions are
 * complete, so a check that judges a session's end judges a real one.
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
        this.engine = new CheckEngine(spec, checks);
        this.scope = CertificationScope.requirements(spec, CertificationScope.blkAreas());
        this.judged = judged;
        this.failOn = failOn;
        Set<String> aside = new TreeSet<>(waived);
        aside.addAll(broken(firstBoot));
        this.aside = Set.copyOf(aside);
    }

    /** The try's failure by the checks, or null: the first counted requirement its sessions broke, with the evidence. */
    TryOutcome judge(List<Event> tryEvents) {
        for (RequirementVerdict v : evaluate(tryEvents)) {
            String id = v.requirement().id();
            if (counts(v) && !aside.contains(id)) {
                return TryOutcome.failed(id, v.evidence().isEmpty() ? v.requirement().statement() : v.evidence().get(0).summary());
            }
        }
        return null;
    }

    private Set<String> broken(List<Event> events) {
        Set<String> ids = new TreeSet<>();
        for (RequirementVerdict v : evaluate(events)) if (counts(v)) ids.add(v.requirement().id());
        return Set.copyOf(ids);
    }

    private List<RequirementVerdict> evaluate(List<Event> events) {
        List<DriverSession> sessions = SessionSplitter.split(events).stream().filter(judged::judges).toList();
        return sessions.isEmpty() ? List.of() : engine.evaluate(scope, sessions, -1);
    }

    private boolean counts(RequirementVerdict v) {
        return v.outcome() == Outcome.FAIL && (v.isViolation() || failOn == FailOn.SHOULD);
    }
}
