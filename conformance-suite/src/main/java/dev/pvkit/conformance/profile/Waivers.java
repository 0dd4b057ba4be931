package dev.pvkit.conformance.profile;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.WaivedVerdicts;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A waiver file: a YAML list of entries, each {@code id}, {@code owner}, {@code reason} and {@code expires}
 * (YYYY-MM-DD), all required (docs/profiles.md). An id the specification lacks, a withdrawn one, or one listed twice
 * makes the whole file unusable: a waiver that silently waives nothing is worse than none.
 *
 * @param file    the file as given
 * @param entries its waivers, in file order
 */
public record Waivers(Path file, List<Waiver> entries) {
    /** Class-path location of the JSON Schema (draft 2020-12) of a waiver file. */
    public static final String SCHEMA_RESOURCE = Profiles.RESOURCE_DIR + "waivers.schema.json";

    private static final List<String> FIELDS = List.of("id", "owner", "reason", "expires");

    public Waivers {
        entries = List.copyOf(entries);
    }

    /**
     * Reads and checks {@code file} against {@code spec}'s catalog.
     *
     * @throws InvalidFileException one line naming the file and the entry or field
     */
    public static Waivers load(Path file, PvSpec spec) {
        String name = "waivers " + file;
        if (!Files.exists(file)) throw new InvalidFileException(name + ": no such file");
        if (!Files.isRegularFile(file)) throw new InvalidFileException(name + ": not a regular file");
        try {
            return new Waivers(file, parse(name, Files.readString(file, StandardCharsets.UTF_8), spec));
        } catch (IOException e) {
            throw new InvalidFileException(name + ": cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
        }
    }

    /** The waivers in {@code text}; {@code name} names the file in messages. */
    static List<Waiver> parse(String name, String text, PvSpec spec) {
        JsonNode root = YamlFields.parse(name, text);
        if (!root.isArray()) {
            throw new InvalidFileException(name + ": expected a list of waivers (entries of id, owner, reason, expires), found "
                    + YamlFields.describe(root));
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<Waiver> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            int n = i + 1;
            YamlFields f = new YamlFields(name, "entry " + n, root.get(i), FIELDS);
            String id = f.text("id");
            Optional<Requirement> r = spec.requirement(id);
            if (r.isEmpty()) throw f.bad("id", "names " + id + ", which is not a requirement of " + spec.citation());
            if (r.get().isWithdrawn()) throw f.bad("id", "names " + id + ", which " + spec.citation() + " has withdrawn");
            Integer earlier = seen.putIfAbsent(id, n);
            if (earlier != null) throw f.bad("id", "names " + id + " again (entry " + earlier + " waives it already)");
            String expires = f.text("expires");
            LocalDate date;
            try {
                date = LocalDate.parse(expires);
            } catch (DateTimeParseException e) {
                throw f.bad("expires", "must be a date YYYY-MM-DD, got '" + expires + "'");
            }
            out.add(new Waiver(id, f.text("owner"), f.text("reason"), date));
        }
        return out;
    }

    /** The requirements whose waiver holds on {@code today} (not yet expired). */
    public Set<String> heldOn(LocalDate today) {
        return entries.stream().filter(w -> !w.expiredOn(today)).map(Waiver::id).collect(Collectors.toUnmodifiableSet());
    }

    /** Applies these waivers to {@code verdicts}; a waiver is expired once {@code clock}'s date is after its expiry. */
    public WaivedVerdicts apply(List<RequirementVerdict> verdicts, Clock clock) {
        return WaivedVerdicts.apply(verdicts, entries, LocalDate.now(clock));
    }
}
