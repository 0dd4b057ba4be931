package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.spec.Observability;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Strength;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs every check over every session and turns what they report into one verdict per requirement in scope. Per
 * session: FAIL when broken, PASS when kept and never broken, NOT EXERCISED otherwise; overall, the worst session's
 * ({@link Outcome#combine}). A requirement no check decides is a PERMISSION when it is a MAY, NOT OBSERVABLE when
 * the spec says the device cannot see it, else NOT CHECKED.
 */
public final class CheckEngine {
    /** Steps shown before the offending ones in a piece of evidence. */
    static final int CONTEXT = 6;
    /** Pieces of evidence kept per requirement (the count of all is in the summary). */
    static final int MAX_EVIDENCE = 5;

    private final PvSpec spec;
    private final List<Check> checks;
    private final Map<String, Check> deciders = new HashMap<>();

    public CheckEngine(PvSpec spec, List<Check> checks) {
        this.spec = spec;
        this.checks = List.copyOf(checks);
        for (Check c : checks) {
            for (String id : c.decides()) {
                Requirement r = spec.requirement(id).orElseThrow(() ->
                        new IllegalArgumentException(c.name() + " decides " + id + ", which the spec does not have"));
                if (r.isWithdrawn()) throw new IllegalArgumentException(c.name() + " decides withdrawn " + id);
                if (r.strength() == Strength.MAY) throw new IllegalArgumentException(c.name() + " decides " + id + ", a MAY, which nothing can break");
                Check other = deciders.put(id, c);
                if (other != null) throw new IllegalArgumentException(id + " is decided by both " + other.name() + " and " + c.name());
            }
        }
    }

    /** The check that decides {@code id}, or null. */
    public Check decider(String id) {
        return deciders.get(id);
    }

    /**
     * @param guestStartMicros host time the guest started (for guest-relative times in evidence), or -1
     */
    public List<RequirementVerdict> evaluate(List<Requirement> scope, List<DriverSession> sessions, long guestStartMicros) {
        Map<String, List<SessionOutcome>> perSession = new LinkedHashMap<>();
        Map<String, List<Evidence>> evidence = new HashMap<>();
        for (DriverSession s : sessions) {
            SessionFindings f = new SessionFindings(s, guestStartMicros);
            for (Check c : checks) {
                f.current = c;
                c.check(s, f);
            }
            for (Requirement r : scope) {
                if (!deciders.containsKey(r.id())) continue;
                Outcome o = f.broken.containsKey(r.id()) ? Outcome.FAIL : f.kept.contains(r.id()) ? Outcome.PASS : Outcome.NOT_EXERCISED;
                perSession.computeIfAbsent(r.id(), k -> new ArrayList<>()).add(new SessionOutcome(s.label(), o));
                List<Evidence> e = f.broken.get(r.id());
                if (e != null) evidence.computeIfAbsent(r.id(), k -> new ArrayList<>()).addAll(e);
            }
        }
        List<RequirementVerdict> out = new ArrayList<>();
        for (Requirement r : scope) {
            Check c = deciders.get(r.id());
            if (c == null) {
                Outcome o = r.strength() == Strength.MAY ? Outcome.PERMISSION
                        : r.observable() == Observability.NO ? Outcome.NOT_OBSERVABLE : Outcome.NOT_CHECKED;
                out.add(new RequirementVerdict(r, o, List.of(), List.of(), null));
                continue;
            }
            List<SessionOutcome> so = perSession.getOrDefault(r.id(), List.of());
            Outcome overall = so.stream().map(SessionOutcome::outcome).reduce(Outcome.NOT_EXERCISED, Outcome::combine);
            List<Evidence> ev = evidence.getOrDefault(r.id(), List.of());
            out.add(new RequirementVerdict(r, overall, so, ev.subList(0, Math.min(MAX_EVIDENCE, ev.size())), c.name()));
        }
        return out;
    }

    /** Collects one session's findings and builds evidence from its events. */
    private static final class SessionFindings implements Findings {
        private final DriverSession session;
        private final long guestStart;
        private final Set<String> kept = new java.util.HashSet<>();
        private final Map<String, List<Evidence>> broken = new HashMap<>();
        private Check current;

        SessionFindings(DriverSession session, long guestStart) {
            this.session = session;
            this.guestStart = guestStart;
        }

        private void own(String id) {
            if (!current.decides().contains(id)) {
                throw new IllegalStateException(current.name() + " reported " + id + ", which it does not decide");
            }
        }

        @Override
        public void kept(String requirement, Event at) {
            own(requirement);
            kept.add(requirement);
        }

        @Override
        public void broke(String requirement, int queue, List<? extends Event> offending, String summary) {
            own(requirement);
            if (offending.isEmpty()) throw new IllegalArgumentException("a violation needs the step that shows it");
            Event first = offending.get(0);
            int at = session.events().indexOf(first);
            List<String> before = new ArrayList<>();
            if (at > 0) {
                for (Event e : session.events().subList(Math.max(0, at - CONTEXT), at)) before.add(line(e));
            }
            // Shown in time order, whichever step the check named first (the moment of violation, which dates it).
            List<String> off = offending.stream().sorted(java.util.Comparator.comparingLong(Event::micros)).map(this::line).toList();
            broken.computeIfAbsent(requirement, k -> new ArrayList<>()).add(new Evidence(session.label(), queue, summary,
                    off, before, Instant.ofEpochSecond(first.micros() / 1_000_000, (first.micros() % 1_000_000) * 1000).toString(),
                    guestStart < 0 ? -1 : (first.micros() - guestStart) / 1e6));
        }

        private String line(Event e) {
            return guestStart < 0 ? e.describe() : String.format("[%9.6f] %s", (e.micros() - guestStart) / 1e6, e.describe());
        }
    }
}
