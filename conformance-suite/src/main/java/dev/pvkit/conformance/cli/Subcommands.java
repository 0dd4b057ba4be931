package dev.pvkit.conformance.cli;

import java.util.List;

/** The subcommands of {@code pvkit}, in the order {@code --help} lists them. */
final class Subcommands {
    private Subcommands() {
    }

    static List<Object> all() {
        return List.of(new CertifyCommand(), new ReportCommand(), new BackendCommand(), new GuestCommand(), new BenchCommand());
    }
}
