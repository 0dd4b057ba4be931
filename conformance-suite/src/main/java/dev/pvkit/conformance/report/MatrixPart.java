package dev.pvkit.conformance.report;

import java.util.List;

/**
 * The matrix part of a merged report ({@code pvkit report merge}, or {@code pvkit certify --matrix}): every cell the
 * matrix planned, with what became of it. A cell that could not run or whose shard is missing is listed as such and
 * fails the merged run: nothing planned is dropped silently.
 *
 * @param name        the matrix's name, or null
 * @param source      the matrix file as the shards were given it
 * @param fingerprint the digest of its cells that every merged shard agreed on
 * @param shards      how many shards the matrix was cut into
 * @param cells       every planned cell, in matrix order
 * @param notes       what the merge saw besides cells, one line each (e.g. a directory that holds no shard)
 */
public record MatrixPart(String name, String source, String fingerprint, int shards, List<Cell> cells, List<String> notes) {

    public MatrixPart {
        cells = List.copyOf(cells);
        notes = List.copyOf(notes);
    }

    /** What became of a planned cell. */
    public enum Status {
        /** It ran and has a report: its verdicts are in the merged ones. */
        RAN("ran"),
        /** Its shard ran but could not certify it (a set-up error, a run that broke off): {@link Cell#detail} says why. */
        COULD_NOT_RUN("could not run"),
        /** No result for it: its shard's report was not among those merged, or the shard stopped before it. */
        MISSING("missing");

        private final String label;

        Status(String label) {
            this.label = label;
        }

        /** How reports name it (report.json too). */
        public String label() {
            return label;
        }
    }

    /**
     * One planned cell.
     *
     * @param number      1-based, in matrix order
     * @param label       e.g. {@code cell 3}, as the merged verdicts' per-cell outcomes and evidence name it
     * @param guest       the guest's name
     * @param guestDetail what the guest is (default guest, a kernel, a firmware and its disk)
     * @param profile     the profile's name
     * @param seed        the seed, or null for a new one per run
     * @param shard       the shard that was to run it (1-based)
     * @param status      what became of it
     * @param failed      for a cell that ran: whether its own certification failed (or did not finish)
     * @param detail      why it could not run or is missing, or why its run did not finish; else null
     * @param report      its own report folder, relative to the merged report's folder where possible; null without one
     * @param seconds     how long its run took (0 when it did not run)
     * @param violations  its MUST-level failures
     * @param warnings    its SHOULD-level failures
     * @param waived      its waived failures
     * @param exploration its generated-behaviour phase in one line (tries, seed, result), or null when it had none
     */
    public record Cell(int number, String label, String guest, String guestDetail, String profile, Long seed, int shard,
                       Status status, boolean failed, String detail, String report, double seconds, long violations,
                       long warnings, long waived, String exploration) {

        /** What a report shows as the cell's verdict: pass, fail, could not run or missing. */
        public String verdict() {
            return status != Status.RAN ? status.label() : failed ? "fail" : "pass";
        }
    }

    /** {@code n} and the noun, plural unless n is 1: {@code 1 warning}, {@code 2 warnings}. */
    public static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /** A cell's failures in one line: {@code 4 violations, 1 warning, 0 waived}. */
    public static String failures(Cell c) {
        return count(c.violations(), "violation") + ", " + count(c.warnings(), "warning") + ", " + c.waived() + " waived";
    }

    /** Whether the matrix failed: a cell failed, could not run, or is missing. */
    public boolean failed() {
        return cells.stream().anyMatch(c -> c.status() != Status.RAN || c.failed());
    }

    public long count(Status s) {
        return cells.stream().filter(c -> c.status() == s).count();
    }

    /** Cells that ran and failed. */
    public long failedCells() {
        return cells.stream().filter(c -> c.status() == Status.RAN && c.failed()).count();
    }

    /** The matrix's outcome in one line, e.g. {@code 4 cells: 2 passed, 1 failed, 1 missing}. */
    public String summary() {
        long ran = count(Status.RAN);
        long failed = failedCells();
        StringBuilder b = new StringBuilder(cells.size() + (cells.size() == 1 ? " cell: " : " cells: "));
        b.append(ran - failed).append(" passed, ").append(failed).append(" failed");
        long cnr = count(Status.COULD_NOT_RUN);
        long missing = count(Status.MISSING);
        if (cnr > 0) b.append(", ").append(cnr).append(" could not run");
        if (missing > 0) b.append(", ").append(missing).append(" missing");
        return b.toString();
    }
}
