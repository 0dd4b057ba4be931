package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.matrix.InvalidMatrixException;
import dev.pvkit.conformance.matrix.MatrixMerge;
import dev.pvkit.conformance.matrix.MatrixRun;
import dev.pvkit.spec.PvSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code pvkit report …}: work on reports already written. */
@Command(name = "report", description = "Work on certification reports already written.",
        mixinStandardHelpOptions = true, subcommands = {ReportCommand.Merge.class})
final class ReportCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = {"Merge the report folders of a matrix's shards ('pvkit certify --matrix FILE --shard K/N --report DIR') "
                    + "into one report: report.json, junit.xml and report.html, with every planned cell and its verdict. A "
                    + "requirement fails if it failed in any cell; its evidence names the cell. A shard folder that is missing "
                    + "or holds no shard.json, and a cell that could not run, are shown as such.",
                    "Exit 0: every planned cell ran and passed; 1: a cell failed, could not run, or is missing; 2: bad input "
                            + "(no shard among the folders, shards of different matrices, a shard given twice)."})
    static final class Merge implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", arity = "1..*", description = "the shards' report folders (their --report)")
        List<Path> dirs;

        @Option(names = "--out", paramLabel = "DIR", defaultValue = "target/pvkit-merged", description = "where the merged "
                + "report goes (default ${DEFAULT-VALUE})")
        Path out;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter w = spec.commandLine().getOut();
            Path outDir = out.toAbsolutePath().normalize();
            for (Path d : dirs) {
                if (d.toAbsolutePath().normalize().equals(outDir)) {
                    throw new UserError("--out " + out + " is one of the shard folders: its own report would be overwritten; choose another");
                }
            }
            MatrixMerge merge = new MatrixMerge(PvSpec.load());
            MatrixMerge.Merged m;
            List<Path> written;
            try {
                m = merge.merge(dirs, out);
                written = merge.write(m, out).all();
            } catch (InvalidMatrixException e) {
                throw new UserError(e.getMessage());
            } catch (IOException e) {
                throw new UserError(e.getMessage());
            }
            for (String note : m.matrix().notes()) w.println("pvkit: " + note);
            MatrixRun.cellLines(m).forEach(w::println);
            w.println(MatrixRun.verdictLine(m));
            for (Path p : written) w.println("report: " + p.toAbsolutePath());
            w.flush();
            return m.failed() ? 1 : 0;
        }
    }
}
