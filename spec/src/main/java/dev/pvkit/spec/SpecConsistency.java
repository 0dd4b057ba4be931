package dev.pvkit.spec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Cross-entry rules of the machine-readable spec: what the loader cannot see one entry at a time. An empty
 * result means the spec is consistent; each problem names the part file and the entry.
 */
public final class SpecConsistency {

    /** Queue sizes at which formula layouts are checked: the smallest, a typical one and the largest. */
    static final long[] QUEUE_SIZES = {1, 2, 3, 256, 1024, 32768};

    private SpecConsistency() {
    }

    public record Problem(String where, String message) {
        @Override
        public String toString() {
            return where + ": " + message;
        }
    }

    public static List<Problem> check(PvSpec spec) {
        List<Problem> out = new ArrayList<>();
        checkAreas(spec, out);
        checkRequirements(spec, out);
        checkVersioning(spec, out);
        checkNumberingGaps(spec, out);
        checkSources(spec, out);
        checkLayouts(spec, out);
        checkConstants(spec, out);
        checkCoverage(spec, out);
        return out;
    }

    private static void checkAreas(PvSpec spec, List<Problem> out) {
        Set<String> seen = new HashSet<>();
        for (Area a : spec.areas()) {
            if (!seen.add(a.code())) out.add(new Problem("pvspec.yaml area " + a.code(), "area code declared twice"));
        }
    }

    private static void checkRequirements(PvSpec spec, List<Problem> out) {
        Map<String, Requirement> seen = new HashMap<>();
        Set<String> areaCodes = spec.areas().stream().map(Area::code).collect(Collectors.toSet());
        for (Requirement r : spec.requirements()) {
            String where = "parts/" + r.part() + ".yaml " + r.id();
            Requirement first = seen.putIfAbsent(r.id(), r);
            if (first != null) {
                out.add(new Problem(where, "id already used in parts/" + first.part() + ".yaml"));
            }
            if (!areaCodes.contains(r.area())) {
                out.add(new Problem(where, "area " + r.area() + " is not declared in pvspec.yaml"));
            }
            if (!statesStrength(r.statement(), r.strength())) {
                out.add(new Problem(where, "statement does not say '" + r.strength().keyword() + "': " + r.statement()));
            }
            checkObservedThrough(r, where, out);
        }
    }

    /**
     * {@code observed-through} agrees with {@code observable}: none exactly when the rule is not observable, and
     * a Xen source only with a Xen one (a Xen frontend is watched by a Xen backend, a virtio driver from behind QEMU).
     */
    private static void checkObservedThrough(Requirement r, String where, List<Problem> out) {
        if (r.observedThrough() == null) return;
        boolean none = r.observedThrough().isEmpty();
        if (none && r.observable() != Observability.NO) {
            out.add(new Problem(where, "observed through none but observable is '" + r.observable().yamlName()
                    + "'; name the sources that show it, or make it observable \"no\""));
        }
        if (!none && r.observable() == Observability.NO) {
            out.add(new Problem(where, "observable is 'no' but observed through " + r.observedThroughText()
                    + "; a rule no source shows is observed through none"));
        }
        boolean xen = r.observedThrough().stream().anyMatch(SpecConsistency::isXenSource);
        boolean virtio = r.observedThrough().stream().anyMatch(o -> !isXenSource(o));
        if (xen && virtio) {
            out.add(new Problem(where, "observed through " + r.observedThroughText()
                    + ": Xen sources (xen-ring, xenstore) and vhost-user-side sources (ring, vhost-user, transport-trace)"
                    + " belong to different set-ups and do not mix"));
        }
    }

    private static boolean isXenSource(ObservationSource o) {
        return o == ObservationSource.XEN_RING || o == ObservationSource.XENSTORE;
    }

    /**
     * The versioning rules of §3: ids are introduced and withdrawn in versions not after this one, a withdrawn rule
     * names existing, in-force replacements, and no requirement uses a retired id.
     */
    private static void checkVersioning(PvSpec spec, List<Problem> out) {
        Map<String, Requirement> byId = new HashMap<>();
        for (Requirement r : spec.requirements()) byId.putIfAbsent(r.id(), r);
        Map<String, RetiredId> retired = new HashMap<>();
        for (RetiredId id : spec.retired()) {
            if (retired.putIfAbsent(id.id(), id) != null) {
                out.add(new Problem("pvspec.yaml retired " + id.id(), "id retired twice"));
            }
        }
        for (Requirement r : spec.requirements()) {
            String where = "parts/" + r.part() + ".yaml " + r.id();
            RetiredId ret = retired.get(r.id());
            if (ret != null) {
                out.add(new Problem(where, "id is retired and must not be used again (" + ret.reason() + ")"));
            }
            if (r.since().compareTo(spec.version()) > 0) {
                out.add(new Problem(where, "since " + r.since() + " is after this version, " + spec.version()));
            }
            if (!r.isWithdrawn()) continue;
            Withdrawal w = r.withdrawn();
            if (w.in().compareTo(spec.version()) > 0) {
                out.add(new Problem(where, "withdrawn in " + w.in() + ", after this version, " + spec.version()));
            }
            for (String by : w.replacedBy()) {
                Requirement replacement = byId.get(by);
                if (by.equals(r.id())) {
                    out.add(new Problem(where, "replaced-by names the withdrawn requirement itself"));
                } else if (replacement == null) {
                    out.add(new Problem(where, "replaced-by names " + by + ", which is not in the catalog"));
                } else if (replacement.isWithdrawn()) {
                    out.add(new Problem(where, "replaced-by names " + by + ", which is withdrawn too"));
                } else if (replacement.target() != r.target()) {
                    out.add(new Problem(where, "replaced-by names " + by + ", which binds the " + replacement.target()
                            + ", not the " + r.target()));
                }
            }
        }
    }

    /**
     * New requirements take the next free number (§3.2), so a number missing below the highest one in its target
     * and area was given out and dropped: it must be listed as retired, or a later rule could reuse it.
     */
    private static void checkNumberingGaps(PvSpec spec, List<Problem> out) {
        Map<String, Set<Integer>> used = new java.util.TreeMap<>();
        for (Requirement r : spec.requirements()) {
            int dash = r.id().lastIndexOf('-');
            used.computeIfAbsent(r.id().substring(0, dash), k -> new HashSet<>())
                    .add(Integer.parseInt(r.id().substring(dash + 1)));
        }
        Set<String> retired = spec.retired().stream().map(RetiredId::id).collect(Collectors.toSet());
        for (Map.Entry<String, Set<Integer>> e : used.entrySet()) {
            int highest = e.getValue().stream().mapToInt(Integer::intValue).max().orElse(0);
            for (int n = 1; n < highest; n++) {
                String id = String.format("%s-%03d", e.getKey(), n);
                if (!e.getValue().contains(n) && !retired.contains(id)) {
                    out.add(new Problem("pvspec.yaml retired", id + " is missing from the numbering of " + e.getKey()
                            + " (highest " + highest + ") and is not listed as retired"));
                }
            }
        }
    }

    /** True when the statement uses the keyword itself (MUST, not only MUST NOT, for a MUST rule). */
    static boolean statesStrength(String statement, Strength strength) {
        String kw = Pattern.quote(strength.keyword());
        String notFollowedByNot = strength == Strength.MUST || strength == Strength.SHOULD ? "(?! NOT\\b)" : "";
        return Pattern.compile("\\b" + kw + "\\b" + notFollowedByNot).matcher(statement).find();
    }

    private static void checkSources(PvSpec spec, List<Problem> out) {
        Map<String, SourceEntry> declared = new HashMap<>();
        for (SourceEntry s : spec.sources()) {
            SourceEntry first = declared.putIfAbsent(s.ref().text(), s);
            if (first != null && !first.title().equals(s.title())) {
                out.add(new Problem("parts/" + s.part() + ".yaml source " + s.ref(),
                        "declared with title '" + s.title() + "' but parts/" + first.part() + ".yaml says '" + first.title() + "'"));
            }
        }
        for (Requirement r : spec.requirements()) {
            requireDeclared(declared, r.source(), "parts/" + r.part() + ".yaml " + r.id(), out);
        }
        for (Layout l : spec.layouts()) {
            requireDeclared(declared, l.source(), "parts/" + l.part() + ".yaml layout " + l.name(), out);
        }
        for (ConstantGroup g : spec.constantGroups()) {
            requireDeclared(declared, g.source(), "parts/" + g.part() + ".yaml constants " + g.group(), out);
        }
        for (SourceRef c : spec.coverage()) {
            requireDeclared(declared, c, "pvspec.yaml coverage", out);
        }
    }

    private static void requireDeclared(Map<String, SourceEntry> declared, SourceRef ref, String where, List<Problem> out) {
        if (!declared.containsKey(ref.text())) {
            out.add(new Problem(where, "source '" + ref + "' is not declared in any part's sources list"));
        }
    }

    private static void checkLayouts(PvSpec spec, List<Problem> out) {
        Set<String> names = new HashSet<>();
        for (Layout l : spec.layouts()) {
            String where = "parts/" + l.part() + ".yaml layout " + l.name();
            if (!names.add(l.name())) out.add(new Problem(where, "layout name already used"));
            if (l.fields().isEmpty()) {
                out.add(new Problem(where, "layout has no fields"));
                continue;
            }
            Set<String> fieldNames = new HashSet<>();
            for (Layout.Field f : l.fields()) {
                if (!fieldNames.add(f.name())) out.add(new Problem(where, "field " + f.name() + " appears twice"));
            }
            for (long q : QUEUE_SIZES) {
                String problem = layoutProblem(l, q);
                if (problem != null) {
                    out.add(new Problem(where, problem + (l.size().isConstant() && allConstant(l) ? "" : " (at Q=" + q + ")")));
                    break;
                }
            }
        }
    }

    private static boolean allConstant(Layout l) {
        return l.fields().stream().allMatch(f -> f.offset().isConstant() && f.size().isConstant());
    }

    /** Null when the fields start at 0, follow each other without gap or overlap, and end at the layout size. */
    static String layoutProblem(Layout l, long q) {
        long expected = 0;
        for (Layout.Field f : l.fields()) {
            long offset = f.offset().at(q);
            long size = f.size().at(q);
            if (size <= 0) return "field " + f.name() + " has size " + size;
            if (offset != expected) {
                return "field " + f.name() + " starts at " + offset + " but the previous field ends at " + expected
                        + (offset > expected ? " (gap: declare padding)" : " (overlap)");
            }
            expected = offset + size;
        }
        long size = l.size().at(q);
        if (expected != size) return "fields add up to " + expected + " bytes but the layout size is " + size;
        return null;
    }

    private static void checkConstants(PvSpec spec, List<Problem> out) {
        Set<String> groups = new HashSet<>();
        for (ConstantGroup g : spec.constantGroups()) {
            String where = "parts/" + g.part() + ".yaml constants " + g.group();
            if (!groups.add(g.group())) out.add(new Problem(where, "group name already used"));
            Set<String> names = new HashSet<>();
            for (ConstantGroup.Constant c : g.values()) {
                if (!names.add(c.name())) out.add(new Problem(where, "constant " + c.name() + " appears twice"));
                if (g.kind() == ConstantGroup.Kind.BIT && (c.value() < 0 || c.value() > 127)) {
                    out.add(new Problem(where, "bit number " + c.name() + " = " + c.value() + " is outside 0..127"));
                }
                if (g.kind() == ConstantGroup.Kind.MASK && c.value() <= 0) {
                    out.add(new Problem(where, "mask " + c.name() + " = " + c.value() + " must be positive"));
                }
            }
        }
    }

    private static void checkCoverage(PvSpec spec, List<Problem> out) {
        Set<String> cited = spec.requirements().stream()
                .filter(r -> r.target() == Target.DRIVER)
                .map(r -> r.source().text())
                .collect(Collectors.toSet());
        for (SourceRef c : spec.coverage()) {
            if (!cited.contains(c.text())) {
                out.add(new Problem("pvspec.yaml coverage", "no driver requirement cites " + c));
            }
        }
    }
}
