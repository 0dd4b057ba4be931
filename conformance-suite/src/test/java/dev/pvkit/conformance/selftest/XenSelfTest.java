package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.observe.XenSessions;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;
import dev.pvkit.spec.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Xen checks under test: every wrong front-end is reported by exactly the requirement it breaks, every correct
 * one comes out clean, and the virtio checks stay silent on Xen sessions. Prints the mutation score.
 */
class XenSelfTest {
    private static final PvSpec SPEC = PvSpec.load();
    private static final List<Requirement> SCOPE = Stream.of("XRING", "XBLK", "XNET", "XEN")
            .flatMap(a -> SPEC.requirements(a).stream())
            .filter(r -> !r.isWithdrawn() && r.target() == Target.DRIVER).toList();
    private static final Set<String> CAUGHT = ConcurrentHashMap.newKeySet();
    private static final Set<String> MISSED = ConcurrentHashMap.newKeySet();

    @TestFactory
    Stream<DynamicTest> everyWrongFrontendIsCaughtByExactlyItsCheck() {
        return Stream.concat(XenWrongFrontends.all().stream(), XenWrongNetfronts.all().stream()).map(d -> DynamicTest.dynamicTest(d.toString(), () -> {
            List<RequirementVerdict> verdicts = new CheckEngine(SPEC, Checks.all())
                    .evaluate(SCOPE, XenSessions.split(d.run().call()), -1);
            d.assertJudged(verdicts, CAUGHT, MISSED);
            if (d.breaks() == null) {
                assertThat(verdicts.stream().filter(v -> v.outcome() == Outcome.PASS)).as("a correct front-end exercises rules").isNotEmpty();
            }
        }));
    }

    @Test
    void atLeastTwelveWrongFrontendsOverTheXenAreas() {
        List<WrongDriver> wrong = Stream.concat(XenWrongFrontends.all().stream(), XenWrongNetfronts.all().stream())
                .filter(d -> d.breaks() != null).toList();
        assertThat(wrong).hasSizeGreaterThanOrEqualTo(12);
        assertThat(wrong.stream().map(d -> SPEC.requirement(d.breaks()).orElseThrow().area()).distinct())
                .contains("XRING", "XBLK", "XNET", "XEN");
    }

    @AfterAll
    static void score() {
        int total = CAUGHT.size() + MISSED.size();
        if (total == 0) return;
        System.out.printf("xen self-test mutation score: %d / %d wrong front-ends caught (%.0f %%)%s%n", CAUGHT.size(),
                total, 100.0 * CAUGHT.size() / total, MISSED.isEmpty() ? "" : "; missed: " + MISSED);
    }
}
