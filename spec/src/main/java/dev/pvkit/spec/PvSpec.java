package dev.pvkit.spec;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The PVKit specification in typed form: what {@code pvspec.yaml} and its parts say. Other modules take their
 * constants and layouts from here (or test that theirs match), and reports name {@link #version()}.
 */
public final class PvSpec {

    /** Classpath folder of the machine-readable spec inside the pvkit-spec jar. */
    public static final String RESOURCE_ROOT = "dev/pvkit/spec/";

    private final SpecVersion version;
    private final String title;
    private final List<Area> areas;
    private final List<Requirement> requirements;
    private final List<Layout> layouts;
    private final List<ConstantGroup> constants;
    private final List<SourceEntry> sources;
    private final List<SourceRef> coverage;
    private final List<RetiredId> retired;
    private final Map<String, Requirement> byId;

    PvSpec(SpecVersion version, String title, List<Area> areas, List<Requirement> requirements, List<Layout> layouts,
           List<ConstantGroup> constants, List<SourceEntry> sources, List<SourceRef> coverage, List<RetiredId> retired) {
        this.version = version;
        this.title = title;
        this.areas = List.copyOf(areas);
        this.requirements = List.copyOf(requirements);
        this.layouts = List.copyOf(layouts);
        this.constants = List.copyOf(constants);
        this.sources = List.copyOf(sources);
        this.coverage = List.copyOf(coverage);
        this.retired = List.copyOf(retired);
        // First definition wins; duplicates are reported by SpecConsistency, not hidden here.
        this.byId = this.requirements.stream()
                .collect(Collectors.toMap(Requirement::id, Function.identity(), (a, b) -> a));
    }

    /** Loads the spec shipped in the pvkit-spec jar. */
    public static PvSpec load() {
        return PvSpecLoader.fromClasspath(PvSpec.class.getClassLoader(), RESOURCE_ROOT).load();
    }

    /** Loads a spec from a folder holding {@code pvspec.yaml} and its parts (for spec authors and tests). */
    public static PvSpec load(Path folder) {
        return PvSpecLoader.fromDirectory(folder).load();
    }

    public SpecVersion version() {
        return version;
    }

    public String title() {
        return title;
    }

    public List<Area> areas() {
        return areas;
    }

    /** Every requirement in the catalog, withdrawn ones included (they keep their ids, marked as withdrawn). */
    public List<Requirement> requirements() {
        return requirements;
    }

    /** The requirements that bind in this version: the catalog without the withdrawn ones. */
    public List<Requirement> inForce() {
        return requirements.stream().filter(r -> !r.isWithdrawn()).toList();
    }

    /** Ids used once and never to be given to a rule again (pvspec.yaml {@code retired}). */
    public List<RetiredId> retired() {
        return retired;
    }

    public List<Layout> layouts() {
        return layouts;
    }

    public List<ConstantGroup> constantGroups() {
        return constants;
    }

    public List<SourceEntry> sources() {
        return sources;
    }

    /** Source sections each of which at least one driver requirement must cite (the coverage bar). */
    public List<SourceRef> coverage() {
        return coverage;
    }

    public Optional<Requirement> requirement(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public List<Requirement> requirements(String areaCode) {
        return requirements.stream().filter(r -> r.area().equals(areaCode)).toList();
    }

    public Optional<Area> area(String code) {
        return areas.stream().filter(a -> a.code().equals(code)).findFirst();
    }

    public Optional<Layout> layout(String name) {
        return layouts.stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The constant group {@code group}; throws naming it when absent, since callers hard-wire group names. */
    public ConstantGroup constants(String group) {
        return constants.stream().filter(c -> c.group().equals(group)).findFirst()
                .orElseThrow(() -> new NoSuchElementException("constant group " + group + " is not in the spec"));
    }

    /** Shorthand for {@code constants(group).value(name)}. */
    public long constant(String group, String name) {
        return constants(group).value(name);
    }

    /** How a report names what it checked, e.g. "PVKit specification 2.0.0". */
    public String citation() {
        return title + " " + version;
    }
}
