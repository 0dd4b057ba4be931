package dev.pvkit.conformance.matrix;

import dev.pvkit.conformance.certify.CertificationService;
import dev.pvkit.conformance.certify.CertifyOptions;
import dev.pvkit.conformance.certify.Progress;
import dev.pvkit.conformance.certify.RunTerms;
import dev.pvkit.conformance.certify.SetupException;
import dev.pvkit.conformance.certify.DriverChoice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.report.MatrixPart;
import dev.pvkit.conformance.verdict.FailOn;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs one shard of a matrix: each of its cells is an ordinary certification through {@link CertificationService},
 * its terms resolved by {@link RunTerms} as for {@code pvkit certify}, its reports in its own folder
 * ({@code cell-N}) of the shard's report folder. Next to them: the shard's manifest ({@value ShardManifest#FILE}) and
 * the shard's own merged report of its cells (report.json, junit.xml, report.html). A cell that cannot be set up is
 * recorded as such and the shard goes on with the next.
 */
public final class MatrixRun {
    private final PvSpec spec;
    private final CertificationService service;

    public MatrixRun(PvSpec spec, CertificationService service) {
        this.spec = spec;
        this.service = service;
    }

    /**
     * What every cell shares, from the command line: everything {@code pvkit certify} takes besides the guest, the
     * profile and the seed, which the matrix gives.
     *
     * @param timeout     each cell's hard limit
     * @param accelerator for every cell
     * @param driver      whose driver is judged, or null for each guest's default
     * @param quietEnd    passive cells' quiet end, or null for the default
     * @param tries       tries per cell, or null for each profile's
     * @param timeBudget  or null for each profile's
     * @param waivers     a waiver file for every cell, or null
     * @param failOn      or null for each profile's requirement set
     */
    public record CellTerms(Duration timeout, Accelerator accelerator, DriverChoice driver, Duration quietEnd, Integer tries,
                            Duration timeBudget, Path waivers, FailOn failOn) {

        /** The options of a cell whose reports go to {@code reportDir}, before its guest is set. */
        CertifyOptions base(Path reportDir) {
            return CertifyOptions.defaults(reportDir).withTimeout(timeout).withAccelerator(accelerator).withDriver(driver)
                    .withQuietEnd(quietEnd);
        }
    }

    /** A cell ready to run: its options and generated-behaviour phase resolved. */
    public record Prepared(MatrixCell cell, RunTerms.Resolved run) {
    }

    /** What the shard did. */
    public record Outcome(ShardManifest manifest, MatrixMerge.Merged summary, List<Path> reports) {
        /** Whether the shard failed: a cell failed, did not finish, or could not run. */
        public boolean failed() {
            return summary.failed();
        }
    }

    /**
     * Resolves every cell of the shard as {@code pvkit certify} would its options, before anything boots: a profile
     * that cannot be loaded or a bad waiver file stops the shard here, with one line naming the cell.
     *
     * @throws InvalidMatrixException one line
     */
    public List<Prepared> prepare(Matrix m, Shard shard, CellTerms terms, Path reportDir) {
        List<Prepared> out = new ArrayList<>();
        // Every cell, not only this shard's: a matrix one shard refuses, every shard refuses.
        for (MatrixCell c : m.cells()) {
            CertifyOptions base = c.guest().applyTo(terms.base(reportDir.resolve(c.directory())));
            RunTerms t = new RunTerms(c.profile(), terms.waivers(), terms.tries(), c.seed(), terms.timeBudget(), null, terms.failOn());
            try {
                RunTerms.Resolved r = t.apply(spec, base);
                if (shard.runs(c.number())) out.add(new Prepared(c, r));
            } catch (RunTerms.InvalidTermsException e) {
                throw new InvalidMatrixException(c.label() + " (" + c.title() + "): " + e.message(term -> "--" + term));
            }
        }
        return out;
    }

    /**
     * Runs the prepared cells one after the other, keeping the manifest in {@code reportDir} up to date, then
     * writes the shard's own merged report there.
     *
     * @throws SetupException when the report folder cannot be written
     */
    public Outcome run(Matrix m, Shard shard, List<Prepared> cells, Path reportDir, Progress progress) throws InterruptedException {
        ShardManifest manifest = ShardManifest.start(CertificationService.TOOL_VERSION, spec.version().toString(), m, shard,
                Instant.now().toString());
        try {
            Files.createDirectories(reportDir);
            manifest.write(reportDir);
            for (Prepared p : cells) {
                MatrixCell c = p.cell();
                String name = c.label() + " (" + c.title() + ")";
                progress.step(name + ": starting");
                long t0 = System.nanoTime();
                ShardManifest.Result result;
                try {
                    CertificationService.Result r = service.run(p.run().options(), p.run().explore(), line -> progress.step(c.label() + ": " + line));
                    boolean failed = r.certification().failed() || r.incomplete() != null;
                    result = new ShardManifest.Result(c.number(), ShardManifest.State.RAN, failed,
                            r.incomplete() == null ? null : "did not finish: " + r.incomplete(), seconds(t0));
                    progress.step(name + ": " + (failed ? "FAIL" : "PASS") + " (" + MatrixPart.count(r.certification().violations(), "violation")
                            + ", " + MatrixPart.count(r.certification().warnings(), "warning") + ", " + r.certification().waived() + " waived"
                            + (r.incomplete() != null ? "; did not finish: " + r.incomplete() : "") + ")");
                } catch (RuntimeException e) {
                    // A set-up error says what to fix in its message; anything else is a fault of PVKit's, named by its type.
                    String message = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
                    String why = e instanceof SetupException ? message : "failed: " + e.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message);
                    result = new ShardManifest.Result(c.number(), ShardManifest.State.COULD_NOT_RUN, false, why, seconds(t0));
                    progress.step(name + ": could not run: " + why);
                }
                manifest = manifest.with(result);
                manifest.write(reportDir);
            }
            manifest = manifest.finish();
            manifest.write(reportDir);
            MatrixMerge merge = new MatrixMerge(spec);
            MatrixMerge.Merged summary = merge.ofShard(reportDir, manifest);
            List<Path> reports = merge.write(summary, reportDir).all();
            return new Outcome(manifest, summary, reports);
        } catch (IOException e) {
            throw new SetupException("report folder " + reportDir + " cannot be written (" + e.getMessage() + "); choose another with --report", e);
        }
    }

    private static double seconds(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
    }

    /** One line per cell of the shard for the console: its verdict, or why it has none. */
    public static List<String> cellLines(MatrixMerge.Merged m) {
        List<String> out = new ArrayList<>();
        for (var c : m.matrix().cells()) {
            out.add(String.format(Locale.ROOT, "  %-8s %-14s %s · %s · %s%s", c.label(), c.verdict().toUpperCase(Locale.ROOT), c.guest(),
                    c.profile(), c.seed() == null ? "new seed" : "seed " + c.seed(),
                    c.status() == MatrixPart.Status.RAN
                            ? "  (" + MatrixPart.failures(c) + ")" : "")
                    + (c.detail() != null ? "\n           " + c.detail() : ""));
        }
        return out;
    }

    /** The shard's verdict line, e.g. {@code matrix: FAIL (2 cells: 1 passed, 1 failed)}. */
    public static String verdictLine(MatrixMerge.Merged m) {
        return "matrix: " + (m.failed() ? "FAIL" : "PASS") + " (" + m.matrix().summary() + ")";
    }
}
