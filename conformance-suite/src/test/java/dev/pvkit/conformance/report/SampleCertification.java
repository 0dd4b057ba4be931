package dev.pvkit.conformance.report;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.CertificationTerms;
import dev.pvkit.conformance.verdict.WaivedVerdicts;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.spec.PvSpec;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.pvkit.conformance.verdict.Outcome.FAIL;
import static dev.pvkit.conformance.verdict.Outcome.NOT_CHECKED;
import static dev.pvkit.conformance.verdict.Outcome.NOT_EXERCISED;
import static dev.pvkit.conformance.verdict.Outcome.NOT_OBSERVABLE;
import static dev.pvkit.conformance.verdict.Outcome.PASS;

/**
 * A realistic certification of a guest's virtio-blk driver over real requirements of the shipped spec: a firmware and
 * an OS session, two MUST-level violations (one on a queue, one in the transport), a SHOULD NOT warning, and verdicts
 * of every other outcome.
 */
final class SampleCertification {
    static final PvSpec SPEC = PvSpec.load();
    static final String FW = "session 1 (firmware)";
    static final String OS = "session 2 (OS)";

    private SampleCertification() {
    }

    static Certification failing(FailOn failOn) {
        List<RequirementVerdict> v = new ArrayList<>();
        // Device initialization: the firmware skipped the reset.
        v.add(verdict("DRV-INIT-001", PASS, PASS, PASS, "InitOrderCheck"));
        v.add(new RequirementVerdict(SPEC.requirement("DRV-INIT-002").orElseThrow(), FAIL,
                List.of(new SessionOutcome(FW, FAIL), new SessionOutcome(OS, PASS)),
                List.of(new Evidence(FW, -1, "first device_status write was ACKNOWLEDGE (0x1), not a reset (0)",
                        List.of("[ 0.412203] transport: device_status <- 0x1 (ACKNOWLEDGE)"),
                        List.of("[ 0.401877] vhost-user: GET_FEATURES -> 0x170000646",
                                "[ 0.402010] vhost-user: SET_OWNER"),
                        "2026-03-02T09:14:06.519203Z", 0.412203)), "InitOrderCheck"));
        v.add(verdict("DRV-INIT-003", PASS, PASS, PASS, "InitOrderCheck"));
        v.add(verdict("DRV-INIT-004", PASS, PASS, PASS, "InitOrderCheck"));
        v.add(verdict("DRV-FEAT-001", PASS, PASS, PASS, "FeatureCheck"));
        v.add(verdict("DRV-FEAT-002", PASS, PASS, PASS, "FeatureCheck"));
        v.add(verdict("DRV-FEAT-007", NOT_CHECKED, null, null, null));
        // Split virtqueues: the OS driver built a looping chain, and a very long one.
        v.add(verdict("DRV-SPLIT-001", PASS, PASS, PASS, "RingLayoutCheck"));
        v.add(verdict("DRV-SPLIT-002", PASS, PASS, PASS, "RingLayoutCheck"));
        v.add(verdict("DRV-SPLIT-003", PASS, PASS, PASS, "RingLayoutCheck"));
        v.add(verdict("DRV-SPLIT-004", PASS, PASS, PASS, "RingLayoutCheck"));
        v.add(verdict("DRV-SPLIT-005", PASS, PASS, PASS, "RingLayoutCheck"));
        v.add(verdict("DRV-SPLIT-006", PASS, PASS, PASS, "ChainCheck"));
        v.add(new RequirementVerdict(SPEC.requirement("DRV-SPLIT-007").orElseThrow(), FAIL,
                List.of(new SessionOutcome(FW, PASS), new SessionOutcome(OS, FAIL)),
                List.of(new Evidence(OS, 0, "chain 17 has 130 descriptors for 2 segments of 4096 bytes (at most 8 expected)",
                        List.of("[ 3.208114] queue 0: chain 17, 130 descriptors (130 ring slots), 16 readable and 8193 writable bytes"),
                        List.of("[ 3.207551] queue 0: available index 41 -> 42",
                                "[ 3.207602] queue 0: chain 16, 3 descriptors (3 ring slots), 16 readable and 4097 writable bytes",
                                "[ 3.207980] queue 0: used index published 42"),
                        "2026-03-02T09:14:09.315114Z", 3.208114)), "ChainCheck"));
        v.add(verdict("DRV-SPLIT-008", PASS, PASS, PASS, "ChainCheck"));
        v.add(new RequirementVerdict(SPEC.requirement("DRV-SPLIT-009").orElseThrow(), FAIL,
                List.of(new SessionOutcome(FW, PASS), new SessionOutcome(OS, FAIL)),
                List.of(new Evidence(OS, 0, "descriptor chain 23 loops: descriptor 5 links back to descriptor 2",
                        List.of("[ 3.517730] queue 0: chain 23 refused, DRV-SPLIT-009 at ring descriptor 5 (addr 0x7f3a2000 len 4096 flags 0x3): next 2 revisits the chain"),
                        List.of("[ 3.517402] queue 0: available index 57 -> 58",
                                "[ 3.517455] queue 0: chain 22, 3 descriptors (3 ring slots), 16 readable and 4097 writable bytes",
                                "[ 3.517611] queue 0: used index published 57",
                                "[ 3.517702] queue 0: available index 58 -> 59"),
                        "2026-03-02T09:14:09.624730Z", 3.51773)), "ChainCheck"));
        // Packed virtqueues: neither driver offered to use them.
        v.add(verdict("DRV-PACKED-001", NOT_EXERCISED, NOT_EXERCISED, NOT_EXERCISED, "RingLayoutCheck"));
        v.add(verdict("DRV-PACKED-002", NOT_EXERCISED, NOT_EXERCISED, NOT_EXERCISED, "RingLayoutCheck"));
        // Notifications.
        v.add(verdict("DRV-NOTIFY-001", NOT_CHECKED, null, null, null));
        v.add(verdict("DRV-SPLIT-028", dev.pvkit.conformance.verdict.Outcome.PERMISSION, null, null, null));
        v.add(verdict("DRV-NOTIFY-002", NOT_OBSERVABLE, null, null, null));
        // virtio-blk.
        v.add(verdict("DRV-BLK-001", NOT_OBSERVABLE, null, null, null));
        v.add(verdict("DRV-BLK-004", PASS, NOT_EXERCISED, PASS, "BlkConfigCheck"));

        Map<String, String> guest = new LinkedHashMap<>();
        guest.put("mode", "standard workload through the PVKit agent");
        guest.put("kernel", "6.1.0-31-amd64 (default guest)");
        guest.put("firmware", "SeaBIOS (QEMU's default)");
        guest.put("qemu", "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u13)");
        guest.put("accelerator", "kvm");
        Map<String, String> device = new LinkedHashMap<>();
        device.put("type", "virtio-blk (vhost-user-blk-pci, PVKit reference back-end)");
        device.put("capacity", "67108864 bytes, fresh disk");
        device.put("offered features", "0x170000646");
        List<SessionSummary> sessions = List.of(
                new SessionSummary(FW, "firmware", "0x100000000", "split", 412, 0.398, true),
                new SessionSummary(OS, "os", "0x130001244", "split", 18734, 2.911, true));
        return new Certification("0.1.0-SNAPSHOT", SPEC.version().toString(), guest, device, "2026-03-02T09:14:06.107Z",
                41.7, sessions, v, failOn);
    }

    static final Waiver HELD = new Waiver("DRV-INIT-002", "firmware-team", "SeaBIOS 1.16 skips the reset; fixed in 1.17",
            LocalDate.of(2026, 6, 30));
    static final Waiver EXPIRED = new Waiver("DRV-SPLIT-009", "os-team", "loop fix pending review", LocalDate.of(2026, 1, 31));
    static final Waiver UNUSED = new Waiver("DRV-INIT-001", "os-team", "flaky before 6.2", LocalDate.of(2026, 12, 31));
    /** The day the sample's waivers are judged on: after EXPIRED's last day, before HELD's. */
    static final LocalDate TODAY = LocalDate.of(2026, 3, 2);

    /**
     * The failing sample under three waivers, judged on {@link #TODAY}: DRV-INIT-002's failure waived, DRV-SPLIT-009's
     * waiver expired (still a violation), DRV-INIT-001's unused (it passed), under the bundled profile blk.
     */
    static Certification waived(FailOn failOn) {
        Certification c = failing(failOn);
        WaivedVerdicts w = WaivedVerdicts.apply(c.verdicts(), List.of(HELD, EXPIRED, UNUSED), TODAY);
        Map<String, String> profile = new LinkedHashMap<>();
        profile.put("name", "blk");
        profile.put("source", "bundled");
        profile.put("requirement set", "must");
        return c.withVerdicts(w.verdicts(), new CertificationTerms(profile, "ci/waivers.yaml", w.uses()));
    }

    /** Only passes and rules that could not be decided: the run passes. */
    static Certification passing() {
        Certification c = failing(FailOn.MUST);
        List<RequirementVerdict> v = c.verdicts().stream()
                .filter(r -> r.outcome() != FAIL).toList();
        return new Certification(c.toolVersion(), c.specVersion(), c.guest(), c.device(), c.startedAt(), c.seconds(),
                c.sessions(), v, FailOn.MUST);
    }

    /**
     * Every requirement kept, but a generated try broke the driver: it was shrunk, failed again in 2 of 3 runs, and
     * fails the run.
     */
    static Certification explorationFailed() {
        Certification c = passing();
        ExplorationSummary x = new ExplorationSummary(42, 7, 60,
                java.util.Map.of("completion order", java.util.Map.of("reversed", 4, "in-order", 3), "feature set", java.util.Map.of("split", 7)),
                null, new ExplorationSummary.Failure("data", "read 3+1 (round 0) read other bytes than were written", 7,
                "{\"behaviour\":{\"completions\":\"SHUFFLED\"},\"workload\":{\"depth\":4}}",
                "{\"behaviour\":{\"completions\":\"REVERSED\"},\"workload\":{\"depth\":2}}", 12,
                "pvkit certify --replay eyJiZWhhdmlvdXIiOnt9fQ", 2, 3), false);
        return new Certification(c.toolVersion(), c.specVersion(), c.guest(), c.device(), c.startedAt(), c.seconds(),
                c.sessions(), c.verdicts(), FailOn.MUST, c.terms(), x);
    }

    private static RequirementVerdict verdict(String id, Outcome overall, Outcome fw, Outcome os, String check) {
        List<SessionOutcome> per = new ArrayList<>();
        if (fw != null) per.add(new SessionOutcome(FW, fw));
        if (os != null) per.add(new SessionOutcome(OS, os));
        return new RequirementVerdict(SPEC.requirement(id).orElseThrow(() -> new AssertionError(id + " not in the spec")),
                overall, per, List.of(), check);
    }
}
