package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.observe.Traces;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transport checks over the recorded trace of SeaBIOS 1.16.2 and Linux 6.1 driving a PVKit virtio-blk disk
 * (linux-blk.trace), each session on its own: Linux's sessions are clean; SeaBIOS's break four rules, each a true
 * finding of the firmware (status 3 in one write, no wait for the reset, capacity read in halves without a
 * generation bracket, geometry read although GEOMETRY was not offered).
 */
class RecordedTraceVerdictsTest {
    private static final PvSpec SPEC = PvSpec.load();

    @Test
    void linuxIsCleanAndSeaBiosBreaksFourRules() {
        List<DriverSession> sessions = SessionSplitter.split(new ArrayList<Event>(Traces.load("linux-blk.trace")));
        assertThat(sessions).hasSize(5);
        List<RequirementVerdict> verdicts = new CheckEngine(SPEC, Checks.all()).evaluate(
                CertificationScope.requirements(SPEC, CertificationScope.blkAreas()), sessions, -1);
        Map<String, TreeSet<String>> failsBySession = new TreeMap<>();
        for (RequirementVerdict v : verdicts) {
            for (SessionOutcome so : v.sessions()) {
                if (so.outcome() == Outcome.FAIL) failsBySession.computeIfAbsent(so.session(), k -> new TreeSet<>()).add(v.requirement().id());
            }
            if (v.outcome() == Outcome.FAIL) {
                v.evidence().forEach(e -> System.out.println(v.requirement().id() + " " + e.session() + ": " + e.summary()
                        + "\n    " + String.join("\n    ", e.offending())));
            }
        }
        verdicts.stream().filter(v -> v.check() != null && v.outcome() != Outcome.NOT_EXERCISED)
                .forEach(v -> System.out.println(v.requirement().id() + " " + v.outcome() + " " + v.sessions()));
        List<String> seaBios = List.of("DRV-CFG-001", "DRV-CFG-004", "DRV-INIT-003", "DRV-PCI-019");
        assertThat(failsBySession).isEqualTo(Map.of(
                "session 1 (firmware)", new TreeSet<>(seaBios),
                "session 4 (firmware)", new TreeSet<>(seaBios)));
    }
}
