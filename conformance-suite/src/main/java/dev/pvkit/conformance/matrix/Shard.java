package dev.pvkit.conformance.matrix;

import java.util.List;
import java.util.Map;

/**
 * The K-th of N disjoint parts of a matrix ({@code --shard K/N}, K from 1 to N). Cells are dealt out in turn: cell
 * c goes to shard {@code ((c - 1) mod N) + 1}, so shard 1 of 4 runs cells 1, 5, 9 ..., and every cell belongs to
 * exactly one shard. Dealing in turn rather than in blocks spreads a slow guest's cells (which sit side by side in
 * the matrix order) over the shards.
 *
 * @param index 1-based
 * @param count how many shards
 */
public record Shard(int index, int count) {
    /** Kubernetes Indexed Jobs give each pod its index here, 0-based. */
    public static final String JOB_COMPLETION_INDEX = "JOB_COMPLETION_INDEX";
    /** Anything else (a CI matrix variable) gives the shard here, 1-based as in {@code --shard K/N}. */
    public static final String PVKIT_SHARD = "PVKIT_SHARD";
    /** The most shards a matrix may be cut into. */
    public static final int MAX = 1000;

    /** The whole matrix: what {@code --matrix} without {@code --shard} runs. */
    public static final Shard WHOLE = new Shard(1, 1);

    public Shard {
        if (count < 1 || index < 1 || index > count) throw new IllegalArgumentException("shard " + index + "/" + count);
    }

    /**
     * Parses {@code K/N}, or {@code auto/N}: the index from {@value #JOB_COMPLETION_INDEX} (0-based, so plus one) if
     * set, else from {@value #PVKIT_SHARD} (1-based).
     *
     * @param env the environment (System.getenv() in the CLI)
     * @throws InvalidMatrixException one line naming {@code --shard} or the variable and what is wrong
     */
    public static Shard parse(String text, Map<String, String> env) {
        String[] parts = text.strip().split("/", -1);
        if (parts.length != 2) throw new InvalidMatrixException("--shard must be K/N (e.g. 2/4) or auto/N, got '" + text + "'");
        int count = number(parts[1], "--shard " + text + ": N");
        if (count < 1 || count > MAX) throw new InvalidMatrixException("--shard " + text + ": N must be 1.." + MAX + ", got " + count);
        int index;
        if (parts[0].equals("auto")) {
            String k8s = env.get(JOB_COMPLETION_INDEX);
            String ci = env.get(PVKIT_SHARD);
            if (k8s != null && !k8s.isBlank()) {
                index = number(k8s, JOB_COMPLETION_INDEX) + 1;
                if (index < 1 || index > count) {
                    throw new InvalidMatrixException(JOB_COMPLETION_INDEX + "=" + k8s.strip() + " is not a shard of " + count + " (0.." + (count - 1) + ", 0-based)");
                }
            } else if (ci != null && !ci.isBlank()) {
                index = number(ci, PVKIT_SHARD);
                if (index < 1 || index > count) {
                    throw new InvalidMatrixException(PVKIT_SHARD + "=" + ci.strip() + " is not a shard of " + count + " (1.." + count + ")");
                }
            } else {
                throw new InvalidMatrixException("--shard auto/" + count + " needs " + JOB_COMPLETION_INDEX + " (0-based, as Kubernetes "
                        + "Indexed Jobs set it) or " + PVKIT_SHARD + " (1-based) in the environment; neither is set");
            }
        } else {
            index = number(parts[0], "--shard " + text + ": K");
            if (index < 1 || index > count) throw new InvalidMatrixException("--shard " + text + ": K must be 1.." + count + " (1-based), got " + index);
        }
        return new Shard(index, count);
    }

    private static int number(String s, String what) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            throw new InvalidMatrixException(what + " must be a whole number, got '" + s.strip() + "'");
        }
    }

    /** The shard that runs cell {@code number} (1-based) of a matrix cut into {@code count} shards. */
    public static int of(int number, int count) {
        return (number - 1) % count + 1;
    }

    /** Whether this shard runs cell {@code number}. */
    public boolean runs(int number) {
        return of(number, count) == index;
    }

    /** This shard's cells, in matrix order (none when there are fewer cells than shards). */
    public List<MatrixCell> cellsOf(Matrix m) {
        return m.cells().stream().filter(c -> runs(c.number())).toList();
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
