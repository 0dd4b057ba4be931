package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.Traces;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks as the search's oracle, on Linux 6.1's recorded register trace (clean) and on the same trace with the
 * first config_generation read deleted (capacity read in halves with no generation before it: DRV-CFG-001).
 */
class TryChecksTest {
    private static final PvSpec SPEC = PvSpec.load();

    /** Linux's first probe and rebind (recorded lines 35–207), timestamps made strictly increasing. */
    private static List<TransportEvent> linux() {
        List<TransportEvent> all = Traces.load("linux-blk.trace").subList(34, 207);
        List<TransportEvent> out = new ArrayList<>();
        long t = 1_000_000;
        for (TransportEvent e : all) out.add(new TransportEvent(t += 10, e.region(), e.write(), e.offset(), e.size(), e.value(), e.device()));
        return out;
    }

    private static int firstGenerationRead(List<TransportEvent> events) {
        for (int i = 0; i < events.size(); i++) if (events.get(i).isReadOf(CommonField.CONFIG_GENERATION)) return i;
        throw new AssertionError("no config_generation read in the trace");
    }

    private static List<Event> torn() {
        List<TransportEvent> e = new ArrayList<>(linux());
        e.remove(firstGenerationRead(e));
        return new ArrayList<>(e);
    }

    private static TryChecks checks(Set<String> waived, List<? extends Event> firstBoot) {
        return new TryChecks(SPEC, Checks.all(), DriverChoice.ALL, FailOn.MUST, waived, new ArrayList<>(firstBoot));
    }

    @Test
    void aTryWhoseSessionsBreakARuleFailsNamingIt() {
        TryChecks c = checks(Set.of(), linux());
        assertThat(c.judge(new ArrayList<>(linux()))).as("Linux's own sessions").isNull();
        TryOutcome o = c.judge(torn());
        assertThat(o).isNotNull();
        assertThat(o.kind()).isEqualTo("DRV-CFG-001");
        assertThat(o.detail()).contains("config_generation");
    }

    @Test
    void whatTheFirstBootBrokeOrAWaiverHoldsFailsNoTry() {
        assertThat(checks(Set.of(), torn()).judge(torn())).as("broken before the tries").isNull();
        assertThat(checks(Set.of("DRV-CFG-001"), linux()).judge(torn())).as("waived").isNull();
    }

    /** A try inside a longer session is judged by what broke during it, not before. */
    @Test
    void aTryInsideASessionIsJudgedByWhatBrokeDuringIt() {
        List<Event> torn = torn();
        int at = firstGenerationRead(linux()); // the capacity read that lost its bracket is now at this index
        long offending = torn.get(at).micros();
        TryChecks c = checks(Set.of(), linux());
        assertThat(c.judgeSince(torn, offending - 5)).as("the try began before the torn read").isNotNull()
                .extracting(TryOutcome::kind).isEqualTo("DRV-CFG-001");
        assertThat(c.judgeSince(torn, offending + 5_000)).as("the try began after it").isNull();
    }
}
