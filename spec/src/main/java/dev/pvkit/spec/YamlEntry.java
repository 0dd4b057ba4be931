package dev.pvkit.spec;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * One mapping of a spec file with the file name and entry path attached, so every read can fail with a message
 * that says exactly where. Unknown keys are rejected: a misspelt key would otherwise be silently ignored.
 */
final class YamlEntry {
    private final String file;
    private final String path;
    private final JsonNode node;

    YamlEntry(String file, String path, JsonNode node, Set<String> allowedKeys) {
        this.file = file;
        this.path = path;
        this.node = node;
        if (node == null || !node.isObject()) {
            throw fail("expected a mapping, found " + describe(node));
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowedKeys.contains(key)) {
                throw fail("unknown key '" + key + "' (allowed: " + String.join(", ", allowedKeys.stream().sorted().toList()) + ")");
            }
        }
    }

    String file() {
        return file;
    }

    String path() {
        return path;
    }

    SpecFormatException fail(String problem) {
        return new SpecFormatException(file, path, problem);
    }

    boolean has(String key) {
        return node.hasNonNull(key);
    }

    JsonNode raw(String key) {
        return node.get(key);
    }

    String text(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) throw fail("missing required field '" + key + "'");
        if (!v.isTextual() && !v.isNumber()) {
            throw fail("field '" + key + "' must be text, found " + describe(v));
        }
        String s = v.asText();
        if (s.isBlank()) throw fail("field '" + key + "' is empty");
        return s;
    }

    String optionalText(String key, String fallback) {
        return has(key) ? text(key) : fallback;
    }

    long integer(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) throw fail("missing required field '" + key + "'");
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw fail("field '" + key + "' must be an integer, found " + describe(v));
        }
        return v.asLong();
    }

    Formula formula(String key) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) throw fail("missing required field '" + key + "'");
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            if (v.asLong() < 0) throw fail("field '" + key + "' must not be negative, found " + v.asLong());
            return Formula.of(v.asLong());
        }
        if (v.isTextual()) {
            try {
                return Formula.parse(v.asText());
            } catch (IllegalArgumentException e) {
                throw fail("field '" + key + "': " + e.getMessage());
            }
        }
        throw fail("field '" + key + "' must be an integer or a formula in Q, found " + describe(v));
    }

    /** The list under {@code key}, empty when absent. */
    List<JsonNode> list(String key, boolean required) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (required) throw fail("missing required list '" + key + "'");
            return List.of();
        }
        if (!v.isArray()) throw fail("field '" + key + "' must be a list, found " + describe(v));
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    static String describe(JsonNode v) {
        if (v == null || v.isNull()) return "nothing";
        if (v.isObject()) return "a mapping";
        if (v.isArray()) return "a list";
        if (v.isBoolean()) return "the boolean " + v.asText() + " (quote it if you meant text)";
        if (v.isNumber()) return "the number " + v.asText();
        return "'" + v.asText() + "'";
    }
}
