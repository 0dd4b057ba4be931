package dev.pvkit.conformance.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * One YAML mapping of a profile, waiver or matrix file, read field by field so that every problem is one line naming the
 * file, where in it, and the field. A key not in the allowed list is refused: misspelt, it would otherwise be
 * ignored and its default silently used.
 */
public final class YamlFields {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final String file;
    private final String where;
    private final JsonNode node;

    /**
     * @param file  how messages name the file, e.g. {@code profile /tmp/p.yaml}
     * @param where the mapping's place in it, e.g. {@code feature-sets[2]}, or empty for the top level
     */
    public YamlFields(String file, String where, JsonNode node, List<String> allowed) {
        this.file = file;
        this.where = where;
        this.node = node;
        if (node == null || !node.isObject()) throw fail("expected a mapping of fields, found " + describe(node));
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) throw fail("unknown field '" + key + "' (known: " + String.join(", ", allowed) + ")");
        }
    }

    /** Parses {@code text} as one YAML document; {@code file} names it in the message when it is not YAML. */
    public static JsonNode parse(String file, String text) {
        try {
            JsonNode n = YAML.readTree(text);
            if (n == null || n.isMissingNode() || n.isNull()) throw new InvalidFileException(file + ": the file is empty");
            return n;
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage().lines().findFirst().orElse("");
            String at = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new InvalidFileException(file + ": not valid YAML" + at + " (" + why.strip() + ")", e);
        }
    }

    public InvalidFileException fail(String problem) {
        return new InvalidFileException(file + ": " + (where.isEmpty() ? "" : where + ": ") + problem);
    }

    private InvalidFileException fail(String key, String problem) {
        return fail("field '" + key + "' " + problem);
    }

    /** Whether the mapping gives {@code key} a value (null counts as not given). */
    public boolean has(String key) {
        JsonNode v = node.get(key);
        return v != null && !v.isNull();
    }

    /** A required non-blank text. */
    public String text(String key) {
        return optionalText(key).orElseThrow(() -> fail("missing required field '" + key + "'"));
    }

    public Optional<String> optionalText(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isTextual()) throw fail(key, "must be text, found " + describe(v) + (v.isNumber() ? " (quote it)" : ""));
        if (v.asText().isBlank()) throw fail(key, "is empty");
        return Optional.of(v.asText().strip());
    }

    /** An integer in {@code [min, max]}, or {@code fallback} when the field is absent. */
    public int integer(String key, int fallback, int min, int max) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw fail(key, "must be a whole number, found " + describe(v));
        int n = v.asInt();
        if (n < min || n > max) throw fail(key, "must be " + (max == Integer.MAX_VALUE ? "at least " + min : min + ".." + max) + ", got " + n);
        return n;
    }

    public boolean bool(String key, boolean fallback) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw fail(key, "must be true or false, found " + describe(v));
        return v.asBoolean();
    }

    /** A required, non-empty list. */
    public JsonNode list(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) throw fail("missing required field '" + key + "'");
        if (!v.isArray()) throw fail(key, "must be a list, found " + describe(v));
        if (v.isEmpty()) throw fail(key, "is an empty list");
        return v;
    }

    /** A refusal of {@code key}'s value, e.g. {@code field 'ring' must be split or packed, got 'ring'}. */
    public InvalidFileException bad(String key, String problem) {
        return fail(key, problem);
    }

    public static String describe(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return "nothing";
        if (n.isObject()) return "a mapping";
        if (n.isArray()) return "a list";
        if (n.isTextual()) return "'" + n.asText() + "'";
        if (n.isBoolean()) return n.asText();
        return "the number " + n.asText();
    }
}
