package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.blk.VirtioBlk;
import dev.pvkit.conformance.check.BlkCapacityCheck;
import dev.pvkit.conformance.check.BlkDataSizeCheck;
import dev.pvkit.conformance.check.BlkDiscardUnmapCheck;
import dev.pvkit.conformance.check.BlkFlushCheck;
import dev.pvkit.conformance.check.BlkReadOnlyAcceptCheck;
import dev.pvkit.conformance.check.BlkSegmentCountCheck;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.selftest.BlkRig.Req;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.spec.PvSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The blk checks see a correct driver's requests (PASS, not merely no FAIL) and word their evidence with the values. */
class BlkChecksTest {
    private static final PvSpec SPEC = PvSpec.load();

    private static Map<String, RequirementVerdict> verdicts(List<Event> events) {
        return new CheckEngine(SPEC, Checks.all())
                .evaluate(CertificationScope.requirements(SPEC, CertificationScope.blkAreas()), SessionSplitter.split(events), -1)
                .stream().collect(Collectors.toMap(v -> v.requirement().id(), v -> v));
    }

    @Test
    void aCorrectDriverPassesEveryBlkRuleItExercises() {
        Map<String, RequirementVerdict> v = verdicts(BlkRig.run(Req.getId(20), Req.write(0, 4096), Req.read(BlkRig.SECTORS - 8, 4096),
                Req.flush(), Req.ranges(VirtioBlk.T_DISCARD, 2, 0), Req.ranges(VirtioBlk.T_WRITE_ZEROES, 2, 1)));
        for (String id : List.of(BlkCapacityCheck.NOT_PAST_CAPACITY, BlkFlushCheck.FLUSH_SECTOR_ZERO, BlkFlushCheck.FLUSH_WITHOUT_DATA,
                BlkDataSizeCheck.SECTOR_MULTIPLE, BlkDataSizeCheck.SEGMENT_MULTIPLE, BlkDataSizeCheck.GET_ID_TWENTY,
                BlkSegmentCountCheck.DISCARD_SEGMENTS, BlkSegmentCountCheck.WRITE_ZEROES_SEGMENTS, BlkDiscardUnmapCheck.DISCARD_UNMAP_CLEAR)) {
            assertThat(v.get(id).outcome()).as(id).isEqualTo(Outcome.PASS);
        }
        assertThat(v.get(BlkReadOnlyAcceptCheck.ACCEPT_RO).outcome()).isEqualTo(Outcome.NOT_EXERCISED);
    }

    @Test
    void aReadOnlyDiskTakenAsSuchPassesAndEvidenceNamesTheValues() {
        assertThat(verdicts(BlkRig.run(true, BlkRig.features(true), Req.read(0, 512), Req.write(0, 512)))
                .get(BlkReadOnlyAcceptCheck.ACCEPT_RO).outcome()).isEqualTo(Outcome.PASS);
        RequirementVerdict past = verdicts(BlkRig.run(Req.read(BlkRig.SECTORS - 1, 1024))).get(BlkCapacityCheck.NOT_PAST_CAPACITY);
        assertThat(past.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(past.evidence().get(0).summary())
                .isEqualTo("IN at sector 2047 with 0 data bytes out, 1024 in reaches sector 2049, past the capacity of 2048 sectors");
    }
}
