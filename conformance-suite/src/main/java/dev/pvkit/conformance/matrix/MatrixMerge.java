package dev.pvkit.conformance.matrix;

import dev.pvkit.conformance.report.JsonReportReader;
import dev.pvkit.conformance.report.MatrixPart;
import dev.pvkit.conformance.report.ReportWriter;
import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.CertificationTerms;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.ExplorationSummary;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.SessionOutcome;
import dev.pvkit.conformance.verdict.SessionSummary;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.conformance.verdict.WaiverUse;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntPredicate;

/**
 * Merges shards' reports into one: {@code pvkit report merge}, and each shard's own summary. Every cell the matrix
 * planned is in the result, as ran (its verdicts merged in), could not run, or missing; the merged verdict on a
 * requirement is a failure if any cell failed it, and its evidence keeps the cell it came from.
 */
public final class MatrixMerge {
    private final PvSpec spec;

    public MatrixMerge(PvSpec spec) {
        this.spec = spec;
    }

    /** The merged certification and what became of each planned cell. */
    public record Merged(Certification certification, MatrixPart matrix) {
        /** Whether the merged run fails: a cell failed, could not run or is missing. */
        public boolean failed() {
            return certification.failed() || matrix.failed();
        }
    }

    /** A shard's folder and its manifest. */
    record ShardDir(Path dir, ShardManifest manifest) {
    }

    /**
     * Merges the shards in {@code dirs} into a report for the whole matrix. A folder that is missing or holds no
     * {@value ShardManifest#FILE} is a missing shard (its cells are shown missing); shards of different matrices, a
     * shard given twice, or no shard at all are bad input.
     *
     * @param out where the merged report will go (cell report links are made relative to it)
     * @throws InvalidMatrixException one line saying what is wrong with the input
     */
    public Merged merge(List<Path> dirs, Path out) {
        if (dirs.isEmpty()) throw new InvalidMatrixException("nothing to merge: name the shards' report folders");
        List<ShardDir> shards = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) notes.add(d + ": no such folder (a shard that did not run or whose reports were not collected)");
            else if (!Files.isRegularFile(d.resolve(ShardManifest.FILE))) notes.add(d + ": holds no " + ShardManifest.FILE + " (not a shard's report folder, or the shard never started)");
            else shards.add(new ShardDir(d, ShardManifest.read(d)));
        }
        if (shards.isEmpty()) {
            throw new InvalidMatrixException("none of the " + dirs.size() + " folders holds a shard's reports (" + ShardManifest.FILE
                    + "): " + String.join("; ", notes));
        }
        ShardManifest first = shards.get(0).manifest();
        Map<Integer, Path> byIndex = new TreeMap<>();
        for (ShardDir s : shards) {
            ShardManifest m = s.manifest();
            if (!m.fingerprint().equals(first.fingerprint()) || m.shard().count() != first.shard().count()) {
                throw new InvalidMatrixException(s.dir() + " is shard " + m.shard() + " of matrix " + m.fingerprint() + ", but "
                        + shards.get(0).dir() + " is shard " + first.shard() + " of matrix " + first.fingerprint() + ": shards of one matrix, cut one way, merge");
            }
            Path twice = byIndex.put(m.shard().index(), s.dir());
            if (twice != null) throw new InvalidMatrixException(twice + " and " + s.dir() + " are both shard " + m.shard());
        }
        return of(shards, notes, n -> true, out);
    }

    /** One shard's own summary: only its cells are planned. */
    Merged ofShard(Path dir, ShardManifest manifest) {
        return of(List.of(new ShardDir(dir, manifest)), List.of(), n -> manifest.shard().runs(n), dir);
    }

    private Merged of(List<ShardDir> shards, List<String> notes, IntPredicate planned, Path out) {
        ShardManifest first = shards.get(0).manifest();
        int count = first.shard().count();
        Map<Integer, ShardDir> byIndex = new TreeMap<>();
        for (ShardDir s : shards) byIndex.put(s.manifest().shard().index(), s);
        List<MatrixPart.Cell> cells = new ArrayList<>();
        Map<String, Certification> ran = new LinkedHashMap<>();
        JsonReportReader reader = new JsonReportReader(spec);
        for (ShardManifest.Planned p : first.plan()) {
            if (!planned.test(p.number())) continue;
            String label = "cell " + p.number();
            int owner = Shard.of(p.number(), count);
            ShardDir s = byIndex.get(owner);
            ShardManifest.Result r = s == null ? null : s.manifest().result(p.number());
            MatrixPart.Status status;
            String detail;
            Certification c = null;
            String report = null;
            double seconds = 0;
            boolean failed = false;
            if (s == null) {
                status = MatrixPart.Status.MISSING;
                detail = "shard " + owner + "/" + count + " is not among the merged reports";
            } else if (r == null || r.state() == ShardManifest.State.PENDING) {
                status = MatrixPart.Status.MISSING;
                detail = "shard " + owner + "/" + count + " stopped before this cell finished";
            } else if (r.state() == ShardManifest.State.COULD_NOT_RUN) {
                status = MatrixPart.Status.COULD_NOT_RUN;
                detail = r.detail();
                seconds = r.seconds();
            } else {
                Path cellDir = s.dir().resolve("cell-" + p.number());
                report = relative(out, cellDir);
                try {
                    c = reader.read(cellDir.resolve(ReportWriter.JSON));
                    status = MatrixPart.Status.RAN;
                    detail = r.detail();
                    failed = r.failed();
                    seconds = r.seconds();
                    ran.put(label, c);
                } catch (IOException e) {
                    status = MatrixPart.Status.MISSING;
                    detail = "its report cannot be read: " + e.getMessage();
                    report = null;
                }
            }
            cells.add(new MatrixPart.Cell(p.number(), label, p.guest(), p.guestDetail(), p.profile(), p.seed(), owner, status,
                    failed, detail, report, seconds, c == null ? 0 : c.violations(), c == null ? 0 : c.warnings(),
                    c == null ? 0 : c.waived(), c == null ? null : exploration(c.exploration())));
        }
        MatrixPart matrix = new MatrixPart(first.matrixName(), first.matrixFile(), first.fingerprint(), count, cells, notes);
        return new Merged(certification(first, ran, cells), matrix);
    }

    private static String relative(Path out, Path cellDir) {
        try {
            return out.toAbsolutePath().normalize().relativize(cellDir.toAbsolutePath().normalize()).toString();
        } catch (IllegalArgumentException e) {
            return cellDir.toAbsolutePath().toString();
        }
    }

    /** A cell's generated-behaviour phase in one line. */
    static String exploration(ExplorationSummary x) {
        if (x == null) return null;
        String what = x.replayed() ? "one replayed case" : x.tries() + " of " + x.planned() + " tries, seed " + x.seed();
        return "generated device behaviour: " + what + ": " + (x.failed() ? "FAIL (" + x.failure().kind() + "), replay: " + x.failure().replay() : "PASS");
    }

    /**
     * The cells that ran as one certification: per requirement, the outcome in each cell (as a "session" named by the
     * cell) and an overall outcome that fails when any cell failed it; evidence names the cell and the session.
     */
    Certification certification(ShardManifest m, Map<String, Certification> ran, List<MatrixPart.Cell> cells) {
        Map<String, MatrixPart.Cell> cellByLabel = new LinkedHashMap<>();
        for (MatrixPart.Cell c : cells) cellByLabel.put(c.label(), c);
        List<SessionSummary> sessions = new ArrayList<>();
        Map<String, List<Map.Entry<String, RequirementVerdict>>> perRequirement = new LinkedHashMap<>();
        double seconds = 0;
        String startedAt = null;
        for (Map.Entry<String, Certification> e : ran.entrySet()) {
            Certification c = e.getValue();
            MatrixPart.Cell cell = cellByLabel.get(e.getKey());
            sessions.add(new SessionSummary(e.getKey(), "matrix cell: " + cell.guest() + " · " + cell.profile() + " · "
                    + (cell.seed() == null ? "new seed" : "seed " + cell.seed()), null, null,
                    c.sessions().stream().mapToInt(SessionSummary::events).sum(), 0, true));
            seconds += c.seconds();
            if (c.startedAt() != null && (startedAt == null || c.startedAt().compareTo(startedAt) < 0)) startedAt = c.startedAt();
            for (RequirementVerdict v : c.verdicts()) {
                perRequirement.computeIfAbsent(v.requirement().id(), k -> new ArrayList<>()).add(Map.entry(e.getKey(), v));
            }
        }
        List<RequirementVerdict> verdicts = new ArrayList<>();
        for (Requirement r : spec.requirements()) {
            List<Map.Entry<String, RequirementVerdict>> per = perRequirement.get(r.id());
            if (per != null) verdicts.add(merged(r, per, cellByLabel));
        }
        List<Certification> all = List.copyOf(ran.values());
        FailOn failOn = !all.isEmpty() && all.stream().allMatch(c -> c.failOn() == FailOn.SHOULD) ? FailOn.SHOULD : FailOn.MUST;
        Map<String, String> guest = new LinkedHashMap<>();
        guest.put("mode", "a matrix of " + cells.size() + (cells.size() == 1 ? " cell" : " cells") + ", each its own certification");
        Map<String, String> guests = new LinkedHashMap<>();
        for (MatrixPart.Cell c : cells) guests.putIfAbsent(c.guest(), c.guestDetail());
        guest.put("guests", String.join("; ", guests.entrySet().stream().map(g -> g.getKey() + " (" + g.getValue() + ")").toList()));
        common(all, Certification::guest, guest, Set.of("qemu command", "kernel", "firmware", "mode", "driver judged", "incomplete"));
        Map<String, String> device = new LinkedHashMap<>();
        common(all, Certification::device, device, Set.of());
        return new Certification(m.toolVersion(), m.specVersion(), guest, device, startedAt != null ? startedAt : m.startedAt(),
                seconds, sessions, verdicts, failOn, terms(all), null);
    }

    /** Copies into {@code into} the facts every certification states alike (none when there are none). */
    private static void common(List<Certification> all, java.util.function.Function<Certification, Map<String, String>> facts,
                               Map<String, String> into, Set<String> skip) {
        if (all.isEmpty()) return;
        for (Map.Entry<String, String> f : facts.apply(all.get(0)).entrySet()) {
            if (skip.contains(f.getKey())) continue;
            if (all.stream().allMatch(c -> Objects.equals(facts.apply(c).get(f.getKey()), f.getValue()))) into.putIfAbsent(f.getKey(), f.getValue());
        }
    }

    /**
     * One requirement over the cells: a failure in any cell fails it (an unwaived failure wins over a waived one);
     * else waived if a cell's failure was waived; else a pass anywhere; else not exercised anywhere; else what the
     * cells agree the spec makes it (not observable, not checked, a permission).
     */
    private static RequirementVerdict merged(Requirement r, List<Map.Entry<String, RequirementVerdict>> per,
                                             Map<String, MatrixPart.Cell> cells) {
        List<SessionOutcome> outcomes = new ArrayList<>();
        List<Evidence> evidence = new ArrayList<>();
        Outcome overall = null;
        Waiver waiver = null;
        String check = null;
        for (Map.Entry<String, RequirementVerdict> e : per) {
            RequirementVerdict v = e.getValue();
            outcomes.add(new SessionOutcome(e.getKey(), v.outcome()));
            MatrixPart.Cell cell = cells.get(e.getKey());
            String where = e.getKey() + " (" + cell.guest() + " · " + cell.profile() + " · " + (cell.seed() == null ? "new seed" : "seed " + cell.seed()) + ")";
            for (Evidence x : v.evidence()) {
                evidence.add(new Evidence(where + ", " + x.session(), x.queue(), x.summary(), x.offending(), x.before(), x.hostTime(), x.guestSeconds()));
            }
            if (check == null) check = v.check();
            overall = overall == null ? v.outcome() : worse(overall, v.outcome());
        }
        for (Map.Entry<String, RequirementVerdict> e : per) {
            RequirementVerdict v = e.getValue();
            // A merged failure carries an expired waiver if a failing cell had one; a merged waiver, the first held one.
            if (overall == Outcome.FAIL && v.hasExpiredWaiver() && waiver == null) waiver = v.waiver();
            if (overall == Outcome.WAIVED && v.isWaived() && waiver == null) waiver = v.waiver();
        }
        return new RequirementVerdict(r, overall, outcomes, evidence, check, waiver);
    }

    private static Outcome worse(Outcome a, Outcome b) {
        for (Outcome o : List.of(Outcome.FAIL, Outcome.WAIVED, Outcome.PASS, Outcome.NOT_EXERCISED)) {
            if (a == o || b == o) return o;
        }
        return a;
    }

    /**
     * The terms over the cells: the profile facts when every cell had the same, else the profiles' names; each waiver
     * once, waived if it waived a failure in any cell, else expired if it was found expired in any, else unused.
     */
    private static CertificationTerms terms(List<Certification> all) {
        if (all.isEmpty()) return CertificationTerms.NONE;
        Map<String, String> profile;
        if (all.stream().allMatch(c -> c.terms().profile().equals(all.get(0).terms().profile()))) {
            profile = all.get(0).terms().profile();
        } else {
            Set<String> names = new LinkedHashSet<>();
            for (Certification c : all) names.add(c.terms().profile().getOrDefault("name", "none"));
            profile = Map.of("name", String.join(", ", names) + " (per cell)");
        }
        Map<String, WaiverUse> uses = new LinkedHashMap<>();
        for (Certification c : all) {
            for (WaiverUse u : c.terms().waivers()) {
                uses.merge(u.waiver().id(), u, (a, b) -> rank(b.status()) < rank(a.status()) ? b : a);
            }
        }
        String file = all.stream().map(c -> c.terms().waiverFile()).filter(Objects::nonNull).findFirst().orElse(null);
        return new CertificationTerms(profile, file, List.copyOf(uses.values()));
    }

    private static int rank(WaiverUse.Status s) {
        return switch (s) {
            case APPLIED -> 0;
            case EXPIRED -> 1;
            case UNUSED -> 2;
        };
    }

    /** Writes the merged report's three files into {@code out}. */
    public ReportWriter.ReportFiles write(Merged m, Path out) throws IOException {
        return ReportWriter.write(m.certification(), m.matrix(), spec, out);
    }
}
