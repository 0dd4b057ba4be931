package dev.pvkit.spec;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The requirement catalog as Markdown. The catalog appendix of {@code pvspec.md} is this rendering of the
 * machine form, kept between two marker lines so that the human text and the YAML cannot drift apart.
 */
public final class CatalogMarkdown {

    public static final String BEGIN = "<!-- catalog:begin — generated from the machine form by CatalogMarkdown; do not edit by hand -->";
    public static final String END = "<!-- catalog:end -->";

    private static final Pattern ID_IN_TEXT = Pattern.compile("\\b(?:DRV|DEV|FE|BE)-[A-Z]{2,8}-\\d{3}\\b");

    private CatalogMarkdown() {
    }

    /** Every requirement id mentioned anywhere in {@code markdown}. */
    public static Set<String> idsIn(String markdown) {
        Set<String> ids = new TreeSet<>();
        Matcher m = ID_IN_TEXT.matcher(markdown);
        while (m.find()) ids.add(m.group());
        return ids;
    }

    /** The text between the catalog markers, or null when the markers are missing or out of order. */
    public static String catalogSection(String markdown) {
        int b = markdown.indexOf(BEGIN);
        int e = markdown.indexOf(END);
        if (b < 0 || e < b) return null;
        return markdown.substring(b + BEGIN.length(), e);
    }

    /** {@code markdown} with its catalog section replaced by a fresh rendering of {@code spec}. */
    public static String withCatalog(String markdown, PvSpec spec) {
        int b = markdown.indexOf(BEGIN);
        int e = markdown.indexOf(END);
        if (b < 0 || e < b) throw new IllegalArgumentException("the text has no catalog markers");
        return markdown.substring(0, b + BEGIN.length()) + render(spec) + markdown.substring(e);
    }

    /** The catalog: a count table, then one table per area. */
    public static String render(PvSpec spec) {
        StringBuilder sb = new StringBuilder("\n\n");
        sb.append("Requirements: **").append(spec.requirements().size()).append("**, of which **")
                .append(spec.requirements().size() - spec.inForce().size()).append("** withdrawn.\n\n");
        sb.append("| area | name | driver | device | front-end | back-end | observable yes | partly | no | withdrawn |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Area a : spec.areas()) {
            List<Requirement> rs = spec.requirements(a.code());
            Map<Target, Integer> byTarget = new EnumMap<>(Target.class);
            Map<Observability, Integer> byObs = new EnumMap<>(Observability.class);
            for (Requirement r : rs) {
                byTarget.merge(r.target(), 1, Integer::sum);
                byObs.merge(r.observable(), 1, Integer::sum);
            }
            sb.append("| ").append(a.code()).append(" | ").append(a.name());
            for (Target t : Target.values()) sb.append(" | ").append(byTarget.getOrDefault(t, 0));
            for (Observability o : Observability.values()) sb.append(" | ").append(byObs.getOrDefault(o, 0));
            sb.append(" | ").append(rs.stream().filter(Requirement::isWithdrawn).count());
            sb.append(" |\n");
        }
        appendDriverObservation(spec, sb);
        for (Area a : spec.areas()) {
            List<Requirement> rs = spec.requirements(a.code());
            sb.append("\n### ").append(a.code()).append(" — ").append(a.name())
                    .append(" (§").append(a.section()).append(")\n\n");
            if (rs.isEmpty()) {
                sb.append("No requirements in this version.\n");
                continue;
            }
            sb.append("| id | since | strength | statement | source | device sees it |\n");
            sb.append("|---|---|---|---|---|---|\n");
            for (Requirement r : rs) {
                sb.append("| ").append(r.id())
                        .append(" | ").append(r.since())
                        .append(" | ").append(r.strength().keyword())
                        .append(" | ").append(statementCell(r))
                        .append(" | ").append(cell(r.source().text()))
                        .append(" | ").append(r.observable().yamlName()).append(observedCell(r)).append(": ").append(cell(r.how()))
                        .append(uncheckedCell(r))
                        .append(" |\n");
            }
        }
        return sb.append('\n').toString();
    }

    /**
     * Driver requirements in force per area: how many are observable yes/partly/no, and how many each source shows
     * (a requirement observed through several sources counts once under each).
     */
    private static void appendDriverObservation(PvSpec spec, StringBuilder sb) {
        sb.append("\nDriver requirements in force, by observability and by the source PVKit observes them through (§2):\n\n");
        sb.append("| area | driver | yes | partly | no");
        for (ObservationSource o : ObservationSource.values()) sb.append(" | ").append(o.yamlName());
        sb.append(" | none |\n|---|---:|---:|---:|---:");
        for (int i = 0; i <= ObservationSource.values().length; i++) sb.append("|---:");
        sb.append("|\n");
        for (Area a : spec.areas()) {
            List<Requirement> rs = spec.requirements(a.code()).stream()
                    .filter(r -> r.target() == Target.DRIVER && !r.isWithdrawn()).toList();
            if (rs.isEmpty()) continue;
            sb.append("| ").append(a.code()).append(" | ").append(rs.size());
            for (Observability o : Observability.values()) {
                sb.append(" | ").append(rs.stream().filter(r -> r.observable() == o).count());
            }
            for (ObservationSource o : ObservationSource.values()) {
                sb.append(" | ").append(rs.stream().filter(r -> r.observedThrough() != null && r.observedThrough().contains(o)).count());
            }
            sb.append(" | ").append(rs.stream().filter(r -> r.observedThrough() != null && r.observedThrough().isEmpty()).count());
            sb.append(" |\n");
        }
    }

    /** The statement; a withdrawn one struck through, followed by when, why and what replaces it. */
    private static String statementCell(Requirement r) {
        if (!r.isWithdrawn()) return cell(r.statement());
        Withdrawal w = r.withdrawn();
        StringBuilder sb = new StringBuilder("~~").append(cell(r.statement())).append("~~ **Withdrawn in ")
                .append(w.in()).append(":** ").append(cell(w.reason()));
        if (!w.replacedBy().isEmpty()) sb.append(" Replaced by ").append(String.join(", ", w.replacedBy())).append('.');
        return sb.toString();
    }

    /** " (through ring, transport-trace)" after the observability, or nothing where the machine form does not say. */
    private static String observedCell(Requirement r) {
        String t = r.observedThroughText();
        return t == null ? "" : " (through " + t + ")";
    }

    /** " *Unchecked:* why", when no check of the suite decides the rule yet. */
    private static String uncheckedCell(Requirement r) {
        return r.uncheckedReason().map(why -> " *Unchecked:* " + cell(why)).orElse("");
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
