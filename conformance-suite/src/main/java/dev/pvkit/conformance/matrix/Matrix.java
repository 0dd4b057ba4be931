package dev.pvkit.conformance.matrix;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A certification matrix: every guest × every profile × every seed, one certification per cell (docs/matrix.md).
 *
 * @param source   the file as given, for reports
 * @param name     the matrix's name, or null
 * @param guests   in file order
 * @param profiles bundled names or file paths, in file order
 * @param seeds    in file order; a single null when the file gives none (each run draws a new seed)
 */
public record Matrix(String source, String name, List<MatrixGuest> guests, List<String> profiles, List<Long> seeds) {

    public Matrix {
        guests = List.copyOf(guests);
        profiles = List.copyOf(profiles);
        seeds = java.util.Collections.unmodifiableList(new ArrayList<>(seeds));
        if (guests.isEmpty() || profiles.isEmpty() || seeds.isEmpty()) throw new IllegalArgumentException("an empty matrix");
    }

    /**
     * The cells in their one fixed order, numbered from 1: the first guest with the first profile and each seed in
     * turn, then the first guest with the second profile, ..., then the second guest. Cell k of a matrix is the same
     * cell in every shard, which is what lets shards be run apart and merged.
     */
    public List<MatrixCell> cells() {
        List<MatrixCell> out = new ArrayList<>();
        for (MatrixGuest g : guests) {
            for (String p : profiles) {
                for (Long s : seeds) out.add(new MatrixCell(out.size() + 1, g, p, s));
            }
        }
        return out;
    }

    /**
     * A digest of the cells (their numbers, guest names and kinds, profile names and seeds), not of the file's text:
     * comments and layout may differ between the shards' copies, the cells may not. Folders are left out, so that
     * shards that found the matrix's files in different places (CI runners, pods) still merge. Shards whose
     * fingerprints differ are not merged.
     */
    public String fingerprint() {
        StringBuilder b = new StringBuilder();
        for (MatrixCell c : cells()) {
            MatrixGuest g = c.guest();
            String kind = g.firmware() != null ? "firmware " + g.firmware() : g.kernel() != null ? "kernel" : "default";
            b.append(c.number()).append('|').append(g.name()).append('|').append(kind).append('|').append(g.passive()).append('|')
                    .append(c.profileName()).append('|').append(c.seed()).append('\n');
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
