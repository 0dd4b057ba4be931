package dev.pvkit.spec;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code pvspec.yaml} and the part files it lists into a {@link PvSpec}. It checks form (types, required
 * fields, enumerations, id syntax); cross-entry rules (duplicates, coverage, layout arithmetic) are
 * {@link SpecConsistency}'s job so that a spec under edit can still be loaded and diagnosed as a whole.
 */
public final class PvSpecLoader {

    /** The index file name; parts live under {@code parts/<name>.yaml} beside it. */
    public static final String INDEX = "pvspec.yaml";
    /**
     * The newest schema revision this loader reads. It also reads schema 3, which lacks {@code unchecked},
     * schema 2, which also lacks {@code observed-through}, and schema 1, which also lacks the versioning keys.
     */
    public static final int SCHEMA = 4;
    /** The first released version of the specification: the {@code since} of a requirement that states none. */
    public static final SpecVersion FIRST_RELEASE = new SpecVersion(1, 0, 0, "");

    static final Pattern REQUIREMENT_ID = Pattern.compile("(DRV|DEV|FE|BE)-([A-Z]{2,8})-(\\d{3})");
    private static final Pattern AREA_CODE = Pattern.compile("[A-Z]{2,8}");
    private static final Pattern PART_NAME = Pattern.compile("[a-z][a-z0-9_-]*");
    private static final Pattern LAYOUT_NAME = Pattern.compile("[a-z][a-z0-9_]*");
    private static final Pattern GROUP_NAME = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+");
    private static final Pattern CONSTANT_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

    private static final Set<String> INDEX_KEYS_1 = Set.of("schema", "title", "version", "areas", "parts", "coverage");
    private static final Set<String> INDEX_KEYS_2 = plus(INDEX_KEYS_1, "retired");
    private static final Set<String> AREA_KEYS = Set.of("code", "name", "section");
    private static final Set<String> PART_KEYS = Set.of("part", "requirements", "layouts", "constants", "sources");
    private static final Set<String> REQUIREMENT_KEYS_1 =
            Set.of("id", "target", "strength", "source", "observable", "how", "statement");
    private static final Set<String> REQUIREMENT_KEYS_2 = plus(REQUIREMENT_KEYS_1, "since", "withdrawn");
    private static final Set<String> REQUIREMENT_KEYS_3 = plus(REQUIREMENT_KEYS_2, "observed-through");
    private static final Set<String> REQUIREMENT_KEYS_4 = plus(REQUIREMENT_KEYS_3, "unchecked");
    private static final Set<String> WITHDRAWN_KEYS = Set.of("in", "reason", "replaced-by");
    private static final Set<String> RETIRED_KEYS = Set.of("id", "reason");
    private static final Set<String> LAYOUT_KEYS = Set.of("name", "title", "source", "endian", "align", "size", "fields");
    private static final Set<String> FIELD_KEYS = Set.of("name", "offset", "size", "type", "doc");
    private static final Set<String> GROUP_KEYS = Set.of("group", "title", "source", "kind", "values");
    private static final Set<String> CONSTANT_KEYS = Set.of("name", "value", "doc");
    private static final Set<String> SOURCE_KEYS = Set.of("ref", "title");
    private static final Set<String> ENDIANS = Set.of("little", "big", "native");

    /** Where spec files come from: the jar or a folder. */
    interface FileSource {
        /** Opens {@code name}, or returns null when it does not exist. */
        InputStream open(String name) throws IOException;

        /** How to name the file in messages. */
        String describe(String name);
    }

    private final FileSource files;
    private final ObjectMapper yaml = new YAMLMapper();
    /** Requirement keys of the schema the index declares. */
    private Set<String> requirementKeys = REQUIREMENT_KEYS_3;
    /** The schema the index declares. */
    private long schema = SCHEMA;

    PvSpecLoader(FileSource files) {
        this.files = files;
    }

    public static PvSpecLoader fromClasspath(ClassLoader loader, String root) {
        return new PvSpecLoader(new FileSource() {
            @Override
            public InputStream open(String name) {
                return loader.getResourceAsStream(root + name);
            }

            @Override
            public String describe(String name) {
                return "classpath:" + root + name;
            }
        });
    }

    public static PvSpecLoader fromDirectory(Path folder) {
        return new PvSpecLoader(new FileSource() {
            @Override
            public InputStream open(String name) throws IOException {
                try {
                    return Files.newInputStream(folder.resolve(name));
                } catch (NoSuchFileException e) {
                    return null;
                }
            }

            @Override
            public String describe(String name) {
                return folder.resolve(name).toString();
            }
        });
    }

    /** Loads the whole spec or throws {@link SpecFormatException} naming file, entry and problem. */
    public PvSpec load() {
        String indexFile = files.describe(INDEX);
        JsonNode indexNode = read(INDEX);
        // The schema decides which keys are allowed, so it is read before the index is checked key by key.
        JsonNode schemaNode = indexNode != null && indexNode.isObject() ? indexNode.get("schema") : null;
        long schema = schemaNode != null && schemaNode.isIntegralNumber() ? schemaNode.asLong() : SCHEMA;
        YamlEntry index = new YamlEntry(indexFile, "(top level)", indexNode, schema == 1 ? INDEX_KEYS_1 : INDEX_KEYS_2);
        schema = index.integer("schema");
        if (schema < 1 || schema > SCHEMA) {
            throw index.fail("schema " + schema + " is not supported (this loader reads schema 1 to " + SCHEMA + ")");
        }
        this.schema = schema;
        requirementKeys = schema == 1 ? REQUIREMENT_KEYS_1 : schema == 2 ? REQUIREMENT_KEYS_2
                : schema == 3 ? REQUIREMENT_KEYS_3 : REQUIREMENT_KEYS_4;
        String title = index.text("title");
        SpecVersion version;
        try {
            version = SpecVersion.parse(index.text("version"));
        } catch (IllegalArgumentException e) {
            throw index.fail("field 'version': " + e.getMessage());
        }

        List<Area> areas = new ArrayList<>();
        List<JsonNode> areaNodes = index.list("areas", true);
        for (int i = 0; i < areaNodes.size(); i++) {
            YamlEntry a = new YamlEntry(indexFile, "areas[" + i + "]", areaNodes.get(i), AREA_KEYS);
            String code = a.text("code");
            if (!AREA_CODE.matcher(code).matches()) throw a.fail("area code '" + code + "' must be 2-8 capital letters");
            areas.add(new Area(code, a.text("name"), a.text("section")));
        }

        List<SourceRef> coverage = new ArrayList<>();
        List<JsonNode> coverageNodes = index.list("coverage", false);
        for (int i = 0; i < coverageNodes.size(); i++) {
            coverage.add(sourceRef(index, "coverage[" + i + "]", coverageNodes.get(i)));
        }

        List<RetiredId> retired = new ArrayList<>();
        List<JsonNode> retiredNodes = index.list("retired", false);
        for (int i = 0; i < retiredNodes.size(); i++) {
            JsonNode node = retiredNodes.get(i);
            YamlEntry r = new YamlEntry(indexFile, label("retired[" + i + "]", node, "id"), node, RETIRED_KEYS);
            String id = r.text("id");
            if (!REQUIREMENT_ID.matcher(id).matches()) {
                throw r.fail("retired id '" + id + "' does not follow <DRV|DEV|FE|BE>-<AREA>-<NNN>");
            }
            retired.add(new RetiredId(id, r.text("reason")));
        }

        Accumulator acc = new Accumulator();
        List<JsonNode> partNodes = index.list("parts", true);
        for (int i = 0; i < partNodes.size(); i++) {
            JsonNode p = partNodes.get(i);
            if (!p.isTextual() || !PART_NAME.matcher(p.asText()).matches()) {
                throw index.fail("parts[" + i + "] must be a lower-case part name, found " + YamlEntry.describe(p));
            }
            loadPart(p.asText(), acc);
        }
        return new PvSpec(version, title, areas, acc.requirements, acc.layouts, acc.constants, acc.sources, coverage,
                retired);
    }

    private static final class Accumulator {
        final List<Requirement> requirements = new ArrayList<>();
        final List<Layout> layouts = new ArrayList<>();
        final List<ConstantGroup> constants = new ArrayList<>();
        final List<SourceEntry> sources = new ArrayList<>();
    }

    private void loadPart(String part, Accumulator acc) {
        String name = "parts/" + part + ".yaml";
        String file = files.describe(name);
        YamlEntry top = new YamlEntry(file, "(top level)", read(name), PART_KEYS);
        if (!part.equals(top.text("part"))) {
            throw top.fail("field 'part' is '" + top.text("part") + "' but the file is listed as part '" + part + "'");
        }

        List<JsonNode> reqs = top.list("requirements", false);
        for (int i = 0; i < reqs.size(); i++) {
            acc.requirements.add(requirement(file, i, reqs.get(i), part));
        }
        List<JsonNode> lays = top.list("layouts", false);
        for (int i = 0; i < lays.size(); i++) {
            acc.layouts.add(layout(file, i, lays.get(i), part));
        }
        List<JsonNode> groups = top.list("constants", false);
        for (int i = 0; i < groups.size(); i++) {
            acc.constants.add(constantGroup(file, i, groups.get(i), part));
        }
        List<JsonNode> srcs = top.list("sources", false);
        for (int i = 0; i < srcs.size(); i++) {
            YamlEntry s = new YamlEntry(file, "sources[" + i + "]", srcs.get(i), SOURCE_KEYS);
            acc.sources.add(new SourceEntry(sourceRef(s, "ref", s.raw("ref")), s.text("title"), part));
        }
    }

    private Requirement requirement(String file, int index, JsonNode node, String part) {
        YamlEntry r = new YamlEntry(file, label("requirements[" + index + "]", node, "id"), node, requirementKeys);

        String id = r.text("id");
        Matcher m = REQUIREMENT_ID.matcher(id);
        if (!m.matches()) {
            throw r.fail("id '" + id + "' does not follow <DRV|DEV|FE|BE>-<AREA>-<NNN>, e.g. DRV-SPLIT-001");
        }
        String targetName = r.text("target");
        Target target = Target.fromYaml(targetName).orElseThrow(() ->
                r.fail("field 'target' is '" + targetName + "'; expected driver, device, front-end or back-end"));
        if (!target.idPrefix().equals(m.group(1))) {
            throw r.fail("id prefix " + m.group(1) + " does not match target " + target + " (expected " + target.idPrefix() + ")");
        }
        String strengthName = r.text("strength");
        Strength strength = Strength.fromKeyword(strengthName).orElseThrow(() ->
                r.fail("field 'strength' is '" + strengthName + "'; expected MUST, MUST NOT, SHOULD, SHOULD NOT or MAY"));
        Observability observable = observability(r);
        SpecVersion since = r.has("since") ? version(r, "since", r.text("since")) : FIRST_RELEASE;
        Withdrawal withdrawn = r.has("withdrawn") ? withdrawal(file, r, since) : null;
        Set<ObservationSource> observedThrough = observedThrough(r);
        if (observedThrough == null && schema >= 3 && target == Target.DRIVER) {
            throw r.fail("missing required field 'observed-through' (every driver requirement names the sources PVKit"
                    + " observes it through, or none)");
        }
        String unchecked = r.has("unchecked") ? unchecked(r, target, observable, withdrawn) : null;
        return new Requirement(id, target, strength, m.group(2), sourceRef(r, "source", r.raw("source")),
                observable, r.text("how"), r.text("statement"), part, since, withdrawn, observedThrough, unchecked);
    }

    /**
     * {@code unchecked}: the reason the conformance suite has no check for an observable driver rule in force. On
     * anything else it would explain a gap that cannot exist, so it is refused there.
     */
    private static String unchecked(YamlEntry r, Target target, Observability observable, Withdrawal withdrawn) {
        String why = r.text("unchecked");
        if (target != Target.DRIVER) throw r.fail("field 'unchecked' is set on a " + target + " requirement; only driver requirements are checked");
        if (observable == Observability.NO) throw r.fail("field 'unchecked' is set on a requirement observable \"no\"; its how already says why nothing decides it");
        if (withdrawn != null) throw r.fail("field 'unchecked' is set on a withdrawn requirement");
        return why;
    }

    /** {@code observed-through}: {@code none} (an empty set), or a list of distinct sources; null when absent. */
    private static Set<ObservationSource> observedThrough(YamlEntry r) {
        JsonNode v = r.raw("observed-through");
        if (v == null || v.isNull()) return null;
        String expected = "; expected none or a list of "
                + String.join(", ", java.util.Arrays.stream(ObservationSource.values()).map(ObservationSource::yamlName).toList());
        if (v.isTextual()) {
            if (v.asText().equals(ObservationSource.NONE)) return Collections.emptySet();
            throw r.fail("field 'observed-through' is '" + v.asText() + "'" + expected);
        }
        if (!v.isArray()) throw r.fail("field 'observed-through' is " + YamlEntry.describe(v) + expected);
        if (v.isEmpty()) throw r.fail("field 'observed-through' is an empty list; write none when no source shows it");
        EnumSet<ObservationSource> out = EnumSet.noneOf(ObservationSource.class);
        for (JsonNode n : v) {
            String s = n.isTextual() ? n.asText() : null;
            if (ObservationSource.NONE.equals(s)) {
                throw r.fail("field 'observed-through' lists none; none stands alone, instead of a list");
            }
            ObservationSource src = s == null ? null : ObservationSource.fromYaml(s).orElse(null);
            if (src == null) throw r.fail("field 'observed-through' lists " + YamlEntry.describe(n) + expected);
            if (!out.add(src)) throw r.fail("field 'observed-through' lists " + s + " twice");
        }
        return Collections.unmodifiableSet(out);
    }

    private static Withdrawal withdrawal(String file, YamlEntry r, SpecVersion since) {
        YamlEntry w = new YamlEntry(file, r.path() + ".withdrawn", r.raw("withdrawn"), WITHDRAWN_KEYS);
        SpecVersion in = version(w, "in", w.text("in"));
        if (in.compareTo(since) <= 0) {
            throw w.fail("withdrawn in " + in + ", which is not after " + since + ", the version that introduced it");
        }
        List<String> replacedBy = new ArrayList<>();
        JsonNode rb = w.raw("replaced-by");
        if (rb != null && !rb.isNull()) {
            List<JsonNode> ids = rb.isArray() ? w.list("replaced-by", false) : List.of(rb);
            for (JsonNode n : ids) {
                if (!n.isTextual() || !REQUIREMENT_ID.matcher(n.asText()).matches()) {
                    throw w.fail("replaced-by names " + YamlEntry.describe(n) + ", which is not a requirement id");
                }
                replacedBy.add(n.asText());
            }
        }
        return new Withdrawal(in, w.text("reason"), replacedBy);
    }

    private static SpecVersion version(YamlEntry owner, String key, String text) {
        try {
            return SpecVersion.parse(text);
        } catch (IllegalArgumentException e) {
            throw owner.fail("field '" + key + "': " + e.getMessage());
        }
    }

    private static Observability observability(YamlEntry r) {
        JsonNode v = r.raw("observable");
        if (v == null || v.isNull()) throw r.fail("missing required field 'observable'");
        // YAML 1.1 readers turn bare yes/no into booleans; accept them so an unquoted value means what it says.
        if (v.isBoolean()) return v.asBoolean() ? Observability.YES : Observability.NO;
        String s = r.text("observable").toLowerCase(Locale.ROOT);
        return Observability.fromYaml(s).orElseThrow(() ->
                r.fail("field 'observable' is '" + s + "'; expected yes, partly or no"));
    }

    private Layout layout(String file, int index, JsonNode node, String part) {
        String label = label("layouts[" + index + "]", node, "name");
        YamlEntry l = new YamlEntry(file, label, node, LAYOUT_KEYS);
        String name = l.text("name");
        if (!LAYOUT_NAME.matcher(name).matches()) throw l.fail("layout name '" + name + "' must be snake_case");
        String endian = l.text("endian");
        if (!ENDIANS.contains(endian)) throw l.fail("field 'endian' is '" + endian + "'; expected little, big or native");
        long align = l.integer("align");
        if (align < 1 || Long.bitCount(align) != 1) throw l.fail("field 'align' must be a power of two, found " + align);
        List<Layout.Field> fields = new ArrayList<>();
        List<JsonNode> fieldNodes = l.list("fields", true);
        for (int i = 0; i < fieldNodes.size(); i++) {
            JsonNode fn = fieldNodes.get(i);
            YamlEntry f = new YamlEntry(file, label(label + ".fields[" + i + "]", fn, "name"), fn, FIELD_KEYS);
            fields.add(new Layout.Field(f.text("name"), f.formula("offset"), f.formula("size"), f.text("type"),
                    f.optionalText("doc", "")));
        }
        return new Layout(name, l.text("title"), sourceRef(l, "source", l.raw("source")), endian, (int) align,
                l.formula("size"), fields, part);
    }

    private ConstantGroup constantGroup(String file, int index, JsonNode node, String part) {
        String label = label("constants[" + index + "]", node, "group");
        YamlEntry g = new YamlEntry(file, label, node, GROUP_KEYS);
        String group = g.text("group");
        if (!GROUP_NAME.matcher(group).matches()) {
            throw g.fail("group name '" + group + "' must be dotted lower case, e.g. virtio.status");
        }
        String kindName = g.text("kind");
        ConstantGroup.Kind kind;
        try {
            kind = ConstantGroup.Kind.valueOf(kindName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw g.fail("field 'kind' is '" + kindName + "'; expected value, bit or mask");
        }
        List<ConstantGroup.Constant> values = new ArrayList<>();
        List<JsonNode> valueNodes = g.list("values", true);
        for (int i = 0; i < valueNodes.size(); i++) {
            JsonNode vn = valueNodes.get(i);
            YamlEntry v = new YamlEntry(file, label(label + ".values[" + i + "]", vn, "name"), vn, CONSTANT_KEYS);
            String name = v.text("name");
            if (!CONSTANT_NAME.matcher(name).matches()) throw v.fail("constant name '" + name + "' must be UPPER_SNAKE");
            values.add(new ConstantGroup.Constant(name, v.integer("value"), v.optionalText("doc", "")));
        }
        return new ConstantGroup(group, g.text("title"), sourceRef(g, "source", g.raw("source")), kind, values, part);
    }

    /** An entry's label for messages: {@code position}, then the entry's {@code nameKey} in parentheses when it has one. */
    private static String label(String position, JsonNode node, String nameKey) {
        return node != null && node.hasNonNull(nameKey) ? position + " (" + node.get(nameKey).asText() + ")" : position;
    }

    private static Set<String> plus(Set<String> keys, String... more) {
        Set<String> all = new java.util.HashSet<>(keys);
        all.addAll(List.of(more));
        return Set.copyOf(all);
    }

    private static SourceRef sourceRef(YamlEntry owner, String what, JsonNode node) {
        if (node == null || node.isNull()) throw owner.fail("missing required field '" + what + "'");
        if (!node.isTextual()) throw owner.fail(what + " must be text, found " + YamlEntry.describe(node));
        return SourceRef.parse(node.asText()).orElseThrow(() ->
                owner.fail(what + " '" + node.asText() + "' is not a source reference; expected " + SourceRef.forms()));
    }

    private JsonNode read(String name) {
        String described = files.describe(name);
        try (InputStream in = files.open(name)) {
            if (in == null) throw new SpecFormatException(described, "(file)", "file not found");
            JsonNode node = yaml.readTree(in);
            if (node == null || node.isMissingNode()) throw new SpecFormatException(described, "(file)", "file is empty");
            return node;
        } catch (JacksonException e) {
            String where = e.getLocation() == null ? "(file)" : "line " + e.getLocation().getLineNr();
            throw new SpecFormatException(described, where, "not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + described, e);
        }
    }
}
