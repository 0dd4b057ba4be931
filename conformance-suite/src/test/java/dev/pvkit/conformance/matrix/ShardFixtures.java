package dev.pvkit.conformance.matrix;

import dev.pvkit.conformance.report.ReportWriter;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.CertificationTerms;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Shard report folders made without QEMU: a matrix, and for a shard its manifest and each cell's reports written by
 * the real report writers from certifications put together by hand (one session per cell, the outcomes given).
 */
public final class ShardFixtures {
    public static final PvSpec SPEC = PvSpec.load();
    /** Two guests (the default one, SeaBIOS) × one profile × two seeds: cells 1-2 Linux, 3-4 SeaBIOS. */
    public static final String TWO_BY_TWO = """
            name: fixture
            guests:
              - name: debian
                default: true
              - name: seabios
                firmware: seabios
            profiles: [blk-quick]
            seeds: [1, 2]
            """;
    static final Waiver HELD = new Waiver("DRV-CFG-001", "firmware-team", "SeaBIOS 1.16", LocalDate.of(2999, 12, 31));

    private ShardFixtures() {
    }

    public static Matrix matrix(Path dir, String text) {
        return MatrixFile.parse("matrix test", dir.resolve("matrix.yaml").toString(), text, dir);
    }

    /** A cell's certification: {@code outcomes} by requirement id; a failure has one evidence in the cell's session. */
    public static Certification cell(Map<String, Outcome> outcomes) {
        List<RequirementVerdict> vs = new ArrayList<>();
        List<WaiverUse> uses = new ArrayList<>();
        for (Map.Entry<String, Outcome> e : outcomes.entrySet()) {
            var r = SPEC.requirement(e.getKey()).orElseThrow();
            Outcome o = e.getValue();
            boolean failed = o == Outcome.FAIL || o == Outcome.WAIVED;
            List<Evidence> ev = failed ? List.of(new Evidence("session 1 (firmware)", -1, e.getKey() + " broken here",
                    List.of("[ 0.5] transport: device_status <- 0x3"), List.of(), "2026-12-05T03:00:00Z", 0.5)) : List.of();
            // Only a checked requirement has per-session outcomes; a waived one failed in its session.
            boolean checked = List.of(Outcome.FAIL, Outcome.PASS, Outcome.NOT_EXERCISED, Outcome.WAIVED).contains(o);
            List<SessionOutcome> per = checked
                    ? List.of(new SessionOutcome("session 1 (firmware)", o == Outcome.WAIVED ? Outcome.FAIL : o)) : List.of();
            Waiver w = o == Outcome.WAIVED ? new Waiver(e.getKey(), HELD.owner(), HELD.reason(), HELD.expires()) : null;
            if (w != null) uses.add(new WaiverUse(w, WaiverUse.Status.APPLIED));
            vs.add(new RequirementVerdict(r, o, per, ev, o == Outcome.NOT_OBSERVABLE || o == Outcome.NOT_CHECKED ? null : "SomeCheck", w));
        }
        // The writers and the merge list verdicts in catalog order, as a real run does.
        vs.sort(java.util.Comparator.comparingInt(v -> SPEC.requirements().indexOf(v.requirement())));
        Map<String, String> guest = new LinkedHashMap<>();
        guest.put("mode", "passive (no agent, no workload)");
        guest.put("qemu", "QEMU emulator version 7.2.15");
        Map<String, String> profile = new LinkedHashMap<>();
        profile.put("name", "blk-quick");
        profile.put("source", "bundled");
        return new Certification("0.1.0", SPEC.version().toString(), guest, Map.of("type", "virtio-blk"), "2026-12-05T03:00:00Z",
                12.5, List.of(new SessionSummary("session 1 (firmware)", "firmware", "0x100000000", "split", 40, 0.3, true)),
                vs, FailOn.MUST, new CertificationTerms(profile, uses.isEmpty() ? null : "waivers.yaml", uses));
    }

    /**
     * Writes shard {@code shard}'s folder: its manifest and, for each of its cells, a report ({@code ran}), a
     * could-not-run entry ({@code couldNotRun}: cell to why), or nothing (pending: the shard stopped before it).
     */
    public static Path shard(Path dir, Matrix m, Shard shard, Map<Integer, Certification> ran, Map<Integer, String> couldNotRun)
            throws IOException {
        Files.createDirectories(dir);
        ShardManifest manifest = ShardManifest.start("0.1.0", SPEC.version().toString(), m, shard, "2026-12-05T03:00:00Z");
        boolean finished = true;
        for (MatrixCell c : shard.cellsOf(m)) {
            Certification cert = ran.get(c.number());
            if (cert != null) {
                ReportWriter.write(cert, SPEC, dir.resolve(c.directory()));
                manifest = manifest.with(new ShardManifest.Result(c.number(), ShardManifest.State.RAN, cert.failed(), null, cert.seconds()));
            } else if (couldNotRun.containsKey(c.number())) {
                manifest = manifest.with(new ShardManifest.Result(c.number(), ShardManifest.State.COULD_NOT_RUN, false, couldNotRun.get(c.number()), 0.1));
            } else {
                finished = false;
            }
        }
        (finished ? manifest.finish() : manifest).write(dir);
        return dir;
    }
}
