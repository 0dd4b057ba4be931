package dev.pvkit.spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The committed list of every released requirement id ({@code released-ids.tsv}): for each id the version that
 * released it first, and the target, strength and statement hash it keeps for the list's major version. Checked
 * against a catalog by {@link #problems}: no id disappears, none changes target or strength within the major
 * version, and a changed statement has to be re-recorded on purpose.
 *
 * @param major the major version the targets and strengths are recorded for
 * @param rows  one per released id, in catalog order
 */
record ReleasedIds(int major, List<Row> rows) {

    static final String HEADER = "id\tsince\ttarget\tstrength\tstatement-sha256";

    record Row(String id, SpecVersion since, String target, String strength, String statementHash) {
        static Row of(Requirement r) {
            return new Row(r.id(), r.since(), r.target().toString(), r.strength().keyword(), hash(r.statement()));
        }

        String line() {
            return String.join("\t", id, since.toString(), target, strength, statementHash);
        }
    }

    /** The first 8 bytes of the SHA-256 of the statement, in hex: enough to notice any edit. */
    static String hash(String statement) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(statement.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The list as it would be recorded from {@code spec} alone. */
    static ReleasedIds of(PvSpec spec) {
        return new ReleasedIds(spec.version().major(), spec.requirements().stream().map(Row::of).toList());
    }

    static ReleasedIds read(Path file) throws IOException {
        int major = -1;
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("# major ")) {
                major = Integer.parseInt(line.substring("# major ".length()).strip());
            } else if (!line.isBlank() && !line.startsWith("#") && !line.equals(HEADER)) {
                String[] f = line.split("\t", -1);
                if (f.length != 5) throw new IllegalArgumentException(file + ": not 5 tab-separated fields: " + line);
                rows.add(new Row(f[0], SpecVersion.parse(f[1]), f[2], f[3], f[4]));
            }
        }
        if (major < 0) throw new IllegalArgumentException(file + ": no '# major N' line");
        return new ReleasedIds(major, rows);
    }

    void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder()
                .append("# Every requirement id PVKit has released, checked by ReleasedIdsTest. An id never leaves the\n")
                .append("# catalog (withdraw it instead), and within the major version below keeps its target and strength.\n")
                .append("# statement-sha256 is the first 8 bytes of the statement's SHA-256: a changed statement must be\n")
                .append("# re-recorded on purpose (wording only, or withdraw the id and state the new rule under a new one).\n")
                .append("# Re-record: mvn -pl spec test -Dtest=ReleasedIdsTest -Dpvkit.spec.recordReleased=true\n")
                .append("# (adds new ids and refreshes hashes; never drops an id or changes a strength within the major).\n")
                .append("# major ").append(major).append('\n')
                .append(HEADER).append('\n');
        for (Row r : rows) sb.append(r.line()).append('\n');
        Files.writeString(file, sb.toString());
    }

    /**
     * This list brought up to date with {@code spec} without hiding what must fail: every recorded id is kept, a
     * recorded target and strength stay as they are within the major version, new ids are added and statement
     * hashes refreshed. At a new major version, targets and strengths are recorded afresh.
     */
    ReleasedIds recordedFrom(PvSpec spec) {
        int specMajor = spec.version().major();
        Map<String, Row> out = new LinkedHashMap<>();
        for (Requirement r : spec.requirements()) out.put(r.id(), Row.of(r));
        for (Row old : rows) {
            Row now = out.get(old.id());
            if (now == null) {
                out.put(old.id(), old);
            } else if (specMajor == major) {
                out.put(old.id(), new Row(old.id(), old.since(), old.target(), old.strength(), now.statementHash()));
            }
        }
        return new ReleasedIds(Math.max(major, specMajor), List.copyOf(out.values()));
    }

    /** Every way {@code spec} breaks the promises this list records; empty when it keeps them. */
    List<String> problems(PvSpec spec) {
        List<String> out = new ArrayList<>();
        int specMajor = spec.version().major();
        if (specMajor != major) {
            out.add("the list is recorded for major version " + major + " but the spec is " + spec.version()
                    + "; re-record it for the new major version");
        }
        Set<String> recorded = rows.stream().map(Row::id).collect(Collectors.toSet());
        Set<String> retired = spec.retired().stream().map(RetiredId::id).collect(Collectors.toSet());
        for (Row row : rows) {
            Requirement r = spec.requirement(row.id()).orElse(null);
            if (retired.contains(row.id())) {
                out.add(row.id() + " was released, so it cannot be retired; it stays in the catalog, withdrawn if need be");
            }
            if (r == null) {
                out.add(row.id() + " was released in " + row.since() + " and is gone from the catalog;"
                        + " a released id is never deleted (withdraw it)");
                continue;
            }
            if (!r.since().equals(row.since())) {
                out.add(row.id() + " was first released in " + row.since() + " but the catalog says since " + r.since());
            }
            if (specMajor == major && !r.target().toString().equals(row.target())) {
                out.add(row.id() + " binds the " + row.target() + " in major version " + major + " but the catalog says "
                        + r.target() + "; withdraw it and state the new rule under a new id");
            }
            if (specMajor == major && !r.strength().keyword().equals(row.strength())) {
                out.add(row.id() + " is " + row.strength() + " in major version " + major + " but the catalog says "
                        + r.strength().keyword() + "; withdraw it and state the new rule under a new id");
            }
            if (!hash(r.statement()).equals(row.statementHash())) {
                out.add(row.id() + ": the statement changed since it was recorded; if only the wording changed,"
                        + " re-record it, otherwise withdraw the id and state the new rule under a new id");
            }
        }
        for (Requirement r : spec.requirements()) {
            if (!recorded.contains(r.id())) {
                out.add(r.id() + " is in the catalog of " + spec.version() + " but not in the released-id list; record it");
            }
        }
        return out;
    }
}
