package dev.pvkit.conformance.matrix;

/**
 * One certification of a matrix: a guest, a profile, a seed.
 *
 * @param number  1-based, in the matrix's fixed order (guests, then profiles, then seeds, each in file order)
 * @param guest   the guest
 * @param profile a bundled profile's name or a profile file's path (resolved against the matrix file's folder)
 * @param seed    the seed of the generated device behaviour, or null for a new one each run
 */
public record MatrixCell(int number, MatrixGuest guest, String profile, Long seed) {

    /** How reports name the cell: {@code cell 3}. */
    public String label() {
        return "cell " + number;
    }

    /** The cell's own report folder inside a shard's report folder: {@code cell-3}. */
    public String directory() {
        return "cell-" + number;
    }

    /** Guest, profile and seed in one line: {@code seabios · blk-quick · seed 1}. */
    public String title() {
        return guest.name() + " · " + profileName() + " · " + (seed == null ? "new seed" : "seed " + seed);
    }

    /** The profile as the matrix file names it: a bundled name, or a file's name without its folder. */
    public String profileName() {
        int slash = profile.lastIndexOf('/');
        return slash < 0 ? profile : profile.substring(slash + 1);
    }
}
