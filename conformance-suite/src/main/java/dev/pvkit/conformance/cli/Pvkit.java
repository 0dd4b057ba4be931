package dev.pvkit.conformance.cli;

import dev.pvkit.spec.PvSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code pvkit} command. Bad options and user mistakes get one clear line and exit code 2; failures of the
 * run itself exit 1.
 */
@Command(name = "pvkit", mixinStandardHelpOptions = true, versionProvider = Pvkit.Version.class,
        description = "PVKit: spec-exact paravirtual device backends and a conformance suite for guest drivers.",
        subcommands = {CommandLine.HelpCommand.class},
        footer = {"", "From a source checkout, './pvkit test [MAVEN ARGS...]' runs the project's tests (mvn -B verify) and "
                + "ends a failed run with the failed tests."})
public final class Pvkit implements Runnable {

    public static final int USAGE = 2;
    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // A certification's console is its progress and verdicts; the libraries' INFO lines (sessions served, QEMU
        // started) would bury them. -Dorg.slf4j.simpleLogger.defaultLogLevel=info brings them back.
        if (args.length > 0 && args[0].equals("certify") && System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "warn");
        }
        System.exit(execute(console(System.out), console(System.err), args));
    }

    /**
     * A writer for a standard stream. Under the POSIX locale of a bare system (CI, a fresh container) Java's default
     * charset is ASCII and would print every '§' of a source section as '?'; UTF-8 bytes read right on any UTF-8
     * terminal or log viewer, so they are written instead. Otherwise the platform's charset is kept.
     */
    private static PrintWriter console(java.io.PrintStream stream) {
        java.nio.charset.Charset cs = java.nio.charset.Charset.defaultCharset();
        if (cs.equals(java.nio.charset.StandardCharsets.US_ASCII)) cs = java.nio.charset.StandardCharsets.UTF_8;
        return new PrintWriter(new java.io.OutputStreamWriter(stream, cs), true);
    }

    /** Runs the command line with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out).setErr(err);
        // One line, as for every other user error; the command's --help is named on it.
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("pvkit: " + ex.getMessage().strip() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return USAGE;
        });
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof UserError) {
                err.println("pvkit: " + ex.getMessage());
                return USAGE;
            }
            err.println("pvkit: " + line.getCommandSpec().qualifiedName() + " failed: " + ex);
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * The whole command tree, as {@link #execute} runs it: also for checking a command line without running it
     * ({@code parseArgs}), as the vendor-gate example does with the commands in its CI files.
     */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Pvkit());
        for (Object sub : Subcommands.all()) cl.addSubcommand(sub);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Version of the tool and of the spec it checks against. */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"pvkit 0.1.0", "checks against " + PvSpec.load().citation()};
        }
    }
}
