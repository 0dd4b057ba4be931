package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.certify.CertificationService;
import dev.pvkit.conformance.certify.SetupException;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.matrix.InvalidMatrixException;
import dev.pvkit.conformance.matrix.Matrix;
import dev.pvkit.conformance.matrix.MatrixFile;
import dev.pvkit.conformance.matrix.MatrixRun;
import dev.pvkit.conformance.matrix.Shard;
import dev.pvkit.conformance.matrix.ShardManifest;
import dev.pvkit.spec.PvSpec;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** {@code pvkit certify --matrix FILE [--shard K/N]}: the cells of one shard, each an ordinary certification. */
final class MatrixCertify {
    /** What the matrix file decides for each cell, so the command line may not. */
    private static final List<String> GIVEN_BY_THE_MATRIX = List.of("--guest", "--kernel", "--initrd", "--append",
            "--qemu-template", "--firmware", "--passive", "--disk", "--profile", "--seed", "--replay");

    /** The environment {@code --shard auto/N} reads; a test may put its own. */
    static volatile Map<String, String> environment = System.getenv();

    private MatrixCertify() {
    }

    static int run(CertifyCommand c, PrintWriter out) throws InterruptedException {
        ParseResult parsed = c.spec.commandLine().getParseResult();
        for (String option : GIVEN_BY_THE_MATRIX) {
            if (parsed.hasMatchedOption(option)) {
                throw new UserError(option + " does not go with --matrix: the matrix file gives each cell's guest, profile and seed");
            }
        }
        PvSpec pvSpec = PvSpec.load();
        MatrixRun runner = new MatrixRun(pvSpec, new CertificationService(pvSpec, Checks.all()));
        Matrix m;
        Shard s;
        List<MatrixRun.Prepared> cells;
        try {
            m = MatrixFile.load(c.matrix);
            s = c.shard == null ? Shard.WHOLE : Shard.parse(c.shard, environment);
            cells = runner.prepare(m, s, new MatrixRun.CellTerms(c.timeout, c.accelerator, c.driver, c.quietEnd, c.tries,
                    c.timeBudget, c.waivers, c.failOn), c.report);
        } catch (InvalidMatrixException e) {
            throw new UserError(e.getMessage());
        }
        int all = m.cells().size();
        out.println("pvkit: matrix " + c.matrix + ": " + all + (all == 1 ? " cell" : " cells") + "; shard " + s + " runs "
                + (cells.isEmpty() ? "none of them (more shards than cells)"
                : "cell" + (cells.size() == 1 ? " " : "s ") + cells.stream().map(p -> Integer.toString(p.cell().number())).collect(Collectors.joining(", "))));
        out.flush();
        MatrixRun.Outcome o;
        try {
            o = runner.run(m, s, cells, c.report, line -> {
                out.println("pvkit: " + line);
                out.flush();
            });
        } catch (SetupException e) {
            throw new UserError(e.getMessage());
        }
        out.println();
        MatrixRun.cellLines(o.summary()).forEach(out::println);
        out.println(MatrixRun.verdictLine(o.summary()));
        for (Path p : o.reports()) out.println("report: " + p.toAbsolutePath());
        out.println("shard manifest: " + c.report.resolve(ShardManifest.FILE).toAbsolutePath());
        out.flush();
        return o.failed() ? 1 : 0;
    }
}
