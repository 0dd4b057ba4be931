package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conformance suite under test: every deliberately wrong driver must be reported by exactly the check of the
 * requirement it breaks, and by no other FAIL; every correct driver must come out clean. Prints the mutation score
 * (wrong drivers caught / total) and fails below 100 %.
 */
class SelfTest {
    private static final PvSpec SPEC = PvSpec.load();
    /** The blk and the net driver's scope together: each wrong driver leaves the other device's requirements unexercised. */
    private static final List<Requirement> SCOPE = CertificationScope.requirements(SPEC,
            java.util.stream.Stream.concat(CertificationScope.blkAreas().stream(), CertificationScope.netAreas().stream())
                    .collect(java.util.stream.Collectors.toSet()));
    private static final Set<String> CAUGHT = ConcurrentHashMap.newKeySet();
    private static final Set<String> MISSED = ConcurrentHashMap.newKeySet();

    static List<WrongDriver> drivers() {
        List<WrongDriver> all = new ArrayList<>();
        all.addAll(RingWrongDrivers.all());
        all.addAll(RingWrongDrivers2.all());
        all.addAll(BlkWrongDrivers.all());
        all.addAll(TransportWrongDrivers.all());
        all.addAll(QueueResetZonedWrongDrivers.all());
        all.addAll(ConfigChangeWrongDrivers.all());
        all.addAll(NetWrongDrivers.all());
        return all;
    }

    @TestFactory
    Stream<DynamicTest> everyWrongDriverIsCaughtByExactlyItsCheck() {
        return drivers().stream().map(d -> DynamicTest.dynamicTest(d.toString(), () -> {
            List<RequirementVerdict> verdicts = new CheckEngine(SPEC, Checks.all())
                    .evaluate(SCOPE, SessionSplitter.split(d.run().call()), -1);
            d.assertJudged(verdicts, CAUGHT, MISSED);
        }));
    }

    @Test
    void atLeastFortyWrongDriversOverEveryCoveredArea() {
        List<WrongDriver> wrong = drivers().stream().filter(d -> d.breaks() != null).toList();
        assertThat(wrong).hasSizeGreaterThanOrEqualTo(40);
        assertThat(wrong.stream().map(d -> SPEC.requirement(d.breaks()).orElseThrow().area()).distinct())
                .contains("SPLIT", "PACKED", "BLK", "STATUS", "FEAT", "INIT");
        assertThat(drivers().stream().filter(d -> d.breaks() == null)).isNotEmpty();
    }

    @Test
    void atLeastFifteenWrongNetDriversEachCaughtByItsOwnCheck() {
        List<WrongDriver> net = NetWrongDrivers.all().stream().filter(d -> d.breaks() != null).toList();
        assertThat(net).hasSizeGreaterThanOrEqualTo(15);
        assertThat(net).allSatisfy(d -> assertThat(SPEC.requirement(d.breaks()).orElseThrow().area()).isEqualTo("NET"));
    }

    @AfterAll
    static void score() {
        int total = CAUGHT.size() + MISSED.size();
        if (total == 0) return;
        System.out.printf("self-test mutation score: %d / %d wrong drivers caught (%.0f %%)%s%n", CAUGHT.size(), total,
                100.0 * CAUGHT.size() / total, MISSED.isEmpty() ? "" : "; missed: " + MISSED);
    }
}
