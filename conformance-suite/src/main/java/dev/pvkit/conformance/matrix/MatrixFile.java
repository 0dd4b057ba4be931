package dev.pvkit.conformance.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pvkit.conformance.guest.Firmware;
import dev.pvkit.conformance.profile.InvalidFileException;
import dev.pvkit.conformance.profile.Profiles;
import dev.pvkit.conformance.profile.YamlFields;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads a matrix file (YAML, docs/matrix.md, schema {@value #SCHEMA_RESOURCE}) field by field, as profile and waiver
 * files are read: every problem is one line naming the file, the entry and the field, and an unknown field is refused.
 * Paths in it (kernel, initrd, disk, profile files) are relative to the file's folder; every file it names must exist,
 * so that a typo fails every shard at once instead of one cell hours later.
 */
public final class MatrixFile {
    /** Class-path location of the JSON Schema (draft 2020-12) of a matrix file. */
    public static final String SCHEMA_RESOURCE = "dev/pvkit/conformance/matrix/matrix.schema.json";

    private static final List<String> TOP = List.of("name", "guests", "profiles", "seeds");
    private static final List<String> GUEST = List.of("name", "default", "kernel", "initrd", "append", "passive", "firmware", "disk");
    /** A guest's name is part of cell labels and of report folders: kept to characters safe in both. */
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]*";

    private MatrixFile() {
    }

    /**
     * Reads {@code file}.
     *
     * @throws InvalidMatrixException one line naming the file and the entry or field
     */
    public static Matrix load(Path file) {
        String name = "matrix " + file;
        if (!Files.exists(file)) throw new InvalidMatrixException(name + ": no such file");
        if (!Files.isRegularFile(file)) throw new InvalidMatrixException(name + ": not a regular file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidMatrixException(name + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
        Path base = file.toAbsolutePath().getParent();
        return parse(name, file.toString(), text, base);
    }

    /** The matrix in {@code text}; {@code name} names it in messages, {@code base} is where its relative paths start. */
    static Matrix parse(String name, String source, String text, Path base) {
        try {
            YamlFields top = new YamlFields(name, "", YamlFields.parse(name, text), TOP);
            List<MatrixGuest> guests = new ArrayList<>();
            Set<String> names = new HashSet<>();
            JsonNode gs = top.list("guests");
            for (int i = 0; i < gs.size(); i++) {
                MatrixGuest g = guest(new YamlFields(name, "guests[" + (i + 1) + "]", gs.get(i), GUEST), base);
                if (!names.add(g.name())) throw new InvalidMatrixException(name + ": guests[" + (i + 1) + "]: field 'name' names "
                        + g.name() + " again (each guest needs its own name)");
                guests.add(g);
            }
            List<String> profiles = new ArrayList<>();
            JsonNode ps = top.list("profiles");
            for (int i = 0; i < ps.size(); i++) {
                JsonNode p = ps.get(i);
                if (!p.isTextual() || p.asText().isBlank()) {
                    throw top.bad("profiles", "entry " + (i + 1) + " must be a bundled profile's name or a file, found " + YamlFields.describe(p));
                }
                String profile = profile(p.asText().strip(), base);
                if (profiles.contains(profile)) throw top.bad("profiles", "names " + p.asText() + " twice");
                profiles.add(profile);
            }
            List<Long> seeds = new ArrayList<>();
            if (top.has("seeds")) {
                JsonNode ss = top.list("seeds");
                for (int i = 0; i < ss.size(); i++) {
                    JsonNode s = ss.get(i);
                    if (!s.isIntegralNumber() || !s.canConvertToLong() || s.asLong() < 0) {
                        throw top.bad("seeds", "entry " + (i + 1) + " must be a whole number 0 or more, found " + YamlFields.describe(s));
                    }
                    if (seeds.contains(s.asLong())) throw top.bad("seeds", "lists " + s.asLong() + " twice");
                    seeds.add(s.asLong());
                }
            } else {
                seeds.add(null);
            }
            return new Matrix(source, top.optionalText("name").orElse(null), guests, profiles, seeds);
        } catch (InvalidFileException e) {
            throw new InvalidMatrixException(e.getMessage(), e);
        }
    }

    private static MatrixGuest guest(YamlFields f, Path base) {
        String name = f.text("name");
        if (!name.matches(NAME)) throw f.bad("name", "must be letters, digits, '.', '_' or '-', got '" + name + "'");
        boolean isDefault = f.bool("default", false);
        boolean kernel = f.has("kernel");
        boolean firmware = f.has("firmware");
        int kinds = (isDefault ? 1 : 0) + (kernel ? 1 : 0) + (firmware ? 1 : 0);
        if (kinds != 1) {
            throw f.fail(kinds == 0 ? "says no guest: give 'default: true', 'kernel' or 'firmware'"
                    : "gives more than one guest: 'default: true', 'kernel' and 'firmware' exclude each other");
        }
        if (!kernel) {
            for (String k : List.of("initrd", "append")) if (f.has(k)) throw f.bad(k, "belongs to a 'kernel' guest");
        }
        if (firmware && f.has("passive")) throw f.bad("passive", "is implied by 'firmware' (a firmware-only boot has no agent)");
        boolean passive = f.bool("passive", false);
        Path disk = f.has("disk") ? file(f, "disk", base) : null;
        if (firmware) {
            String fw = f.text("firmware");
            Firmware which;
            try {
                which = Firmware.valueOf(fw.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw f.bad("firmware", "must be seabios or ovmf, got '" + fw + "'");
            }
            return new MatrixGuest(name, null, null, null, true, which, disk);
        }
        if (kernel) {
            Path k = file(f, "kernel", base);
            Path initrd = f.has("initrd") ? file(f, "initrd", base) : null;
            if (initrd == null && !passive) throw f.fail("a kernel without 'initrd' needs 'passive: true' (no PVKit agent to run the workload)");
            return new MatrixGuest(name, k, initrd, f.optionalText("append").orElse(null), passive, null, disk);
        }
        return new MatrixGuest(name, null, null, null, passive, null, disk);
    }

    private static Path file(YamlFields f, String key, Path base) {
        String given = f.text(key);
        Path p = base.resolve(given).normalize();
        if (!Files.isRegularFile(p)) throw f.bad(key, "names " + given + ", which is not a file (" + p + ")");
        return p;
    }

    /** A bundled profile's name as it is; anything else is a file, relative to the matrix file's folder. */
    private static String profile(String given, Path base) {
        if (Profiles.BUNDLED.contains(given)) return given;
        return base.resolve(given).normalize().toString();
    }
}
