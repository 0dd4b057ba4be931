package dev.pvkit.conformance.check;

import dev.pvkit.spec.Observability;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Strength;
import dev.pvkit.spec.Target;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage, computed: per area of a virtio-blk certification, how many device-observable driver requirements
 * (observability yes or partly; MAYs excluded, since a permission cannot be broken) have a check, and which have
 * none. Every id a check names must be a requirement in force. In the coverage-bar areas every requirement without
 * a check must carry the spec's {@code unchecked} field, which says why; a requirement so marked that a check now
 * decides fails the test too, so the spec's list only shrinks.
 */
class CoverageTest {
    static final List<String> BAR = List.of("STATUS", "FEAT", "INIT", "RESET", "CFG", "SPLIT", "PACKED", "NOTIFY", "BLK", "NET",
            "XRING", "XBLK", "XNET", "XEN", "XHCALL");
    private static final PvSpec SPEC = PvSpec.load();

    @Test
    void everyIdACheckNamesIsARequirementInForceOfTheDriver() {
        for (Check c : Checks.all()) {
            assertThat(c.decides()).as(c.name()).isNotEmpty();
            for (String id : c.decides()) {
                Requirement r = SPEC.requirement(id).orElse(null);
                assertThat(r).as("%s names %s", c.name(), id).isNotNull();
                assertThat(r.isWithdrawn()).as("%s names withdrawn %s", c.name(), id).isFalse();
                assertThat(r.target()).as("%s names %s", c.name(), id).isEqualTo(Target.DRIVER);
                assertThat(r.strength()).as("%s names the permission %s", c.name(), id).isNotEqualTo(Strength.MAY);
            }
        }
        // The engine refuses two checks deciding one id.
        new CheckEngine(SPEC, Checks.all());
    }

    @Test
    void coveragePerAreaAndEveryGapHasTheSpecsReason() {
        Set<String> decided = new TreeSet<>();
        Checks.all().forEach(c -> decided.addAll(c.decides()));
        Map<String, String> gaps = gaps();
        Map<String, List<String>> uncovered = new LinkedHashMap<>();
        StringBuilder table = new StringBuilder("driver requirements observable by PVKit (yes or partly, MAY excluded) with a check, per area:\n");
        int allObservable = 0;
        int allCovered = 0;
        for (String area : areas()) {
            List<Requirement> observable = SPEC.requirements(area).stream()
                    .filter(r -> !r.isWithdrawn() && r.target() == Target.DRIVER && r.strength() != Strength.MAY
                            && r.observable() != Observability.NO).toList();
            List<String> without = observable.stream().map(Requirement::id).filter(id -> !decided.contains(id)).toList();
            int covered = observable.size() - without.size();
            allObservable += observable.size();
            allCovered += covered;
            table.append(String.format("  %-7s %3d / %3d%s%n", area, covered, observable.size(),
                    without.isEmpty() ? "" : "   without a check: " + String.join(" ", without)));
            uncovered.put(area, without);
        }
        table.append(String.format("  %-7s %3d / %3d%n", "total", allCovered, allObservable));
        System.out.print(table);

        List<String> unjustified = new ArrayList<>();
        for (String area : BAR) {
            for (String id : uncovered.get(area)) if (!gaps.containsKey(id)) unjustified.add(id);
        }
        assertThat(unjustified).as("observable requirements of the coverage bar with neither a check nor an 'unchecked'"
                + " reason in the spec\n" + table).isEmpty();
        List<String> stale = gaps.keySet().stream().filter(decided::contains).toList();
        assertThat(stale).as("marked 'unchecked' in the spec but decided by a check now: drop the field in the next"
                + " spec release").isEmpty();
        System.out.println("unchecked, with the spec's reason: " + String.join(" ", gaps.keySet()));
    }

    private static Set<String> areas() {
        return new java.util.LinkedHashSet<>(List.of("STATUS", "FEAT", "INIT", "RESET", "CFG", "SPLIT", "PACKED", "NOTIFY", "PCI", "BLK", "NET",
                "XRING", "XBLK", "XNET", "XEN", "XHCALL"));
    }

    /** id → reason, for each requirement the spec marks {@code unchecked} (the loader allows it only where it fits). */
    static Map<String, String> gaps() {
        Map<String, String> m = new TreeMap<>();
        for (Requirement r : SPEC.requirements()) r.uncheckedReason().ifPresent(why -> m.put(r.id(), why));
        return m;
    }
}
