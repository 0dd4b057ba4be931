package dev.pvkit.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Appendix C of pvspec.md, read as data: one entry per release with its Added, Withdrawn, Retired and Changed
 * items, and {@link #problems} — where it and the machine form's {@code since}, {@code withdrawn} and
 * {@code retired} disagree.
 */
record Changelog(List<Release> releases) {

    static final String HEADING = "## Appendix C. Changelog";
    private static final Pattern RELEASE = Pattern.compile("(?m)^### (\\S+) \\((\\d{4}-\\d{2}-\\d{2})\\)$");
    private static final Pattern ITEM = Pattern.compile("^- (Added|Withdrawn|Retired|Changed): (.*)$");
    private static final Pattern ID = Pattern.compile("\\b(?:DRV|DEV|FE|BE)-[A-Z]{2,8}-\\d{3}\\b");
    private static final Pattern WITHDRAWN_ITEM =
            Pattern.compile("((?:DRV|DEV|FE|BE)-[A-Z]{2,8}-\\d{3})(?: \\(replaced by ([^)]*)\\))?");

    record Release(String version, String date, Map<String, List<String>> items) {
        /** The one item under {@code label}, or null. */
        String item(String label) {
            List<String> l = items.getOrDefault(label, List.of());
            return l.size() == 1 ? l.get(0) : null;
        }
    }

    /** The appendix from its heading to the end of the text (it is the last appendix). */
    static String section(String markdown) {
        int at = markdown.indexOf(HEADING);
        return at < 0 ? "" : markdown.substring(at);
    }

    static Changelog parse(String markdown) {
        String section = section(markdown);
        List<Release> releases = new ArrayList<>();
        Matcher m = RELEASE.matcher(section);
        List<int[]> spans = new ArrayList<>();
        List<String[]> heads = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[]{m.end(), 0});
            heads.add(new String[]{m.group(1), m.group(2)});
            if (spans.size() > 1) spans.get(spans.size() - 2)[1] = m.start();
        }
        if (!spans.isEmpty()) spans.get(spans.size() - 1)[1] = section.length();
        for (int i = 0; i < spans.size(); i++) {
            Map<String, List<String>> items = new LinkedHashMap<>();
            String label = null;
            StringBuilder text = new StringBuilder();
            for (String line : section.substring(spans.get(i)[0], spans.get(i)[1]).split("\n", -1)) {
                Matcher im = ITEM.matcher(line);
                if (im.matches() || line.isBlank() || line.startsWith("- ")) {
                    if (label != null) items.computeIfAbsent(label, k -> new ArrayList<>()).add(text.toString());
                    label = null;
                    if (im.matches()) {
                        label = im.group(1);
                        text = new StringBuilder(im.group(2));
                    }
                } else if (label != null && line.startsWith("  ")) {
                    text.append(' ').append(line.strip());
                }
            }
            if (label != null) items.computeIfAbsent(label, k -> new ArrayList<>()).add(text.toString());
            releases.add(new Release(heads.get(i)[0], heads.get(i)[1], items));
        }
        return new Changelog(releases);
    }

    /** The part of an item that names identifiers: up to the first " — ". */
    static String head(String item) {
        int dash = item.indexOf(" — ");
        return dash < 0 ? item : item.substring(0, dash);
    }

    static Set<String> ids(String text) {
        Set<String> ids = new TreeSet<>();
        Matcher m = ID.matcher(text);
        while (m.find()) ids.add(m.group());
        return ids;
    }

    /** Every disagreement between the changelog in {@code markdown} and {@code spec}; empty when they agree. */
    static List<String> problems(String markdown, PvSpec spec) {
        Changelog log = parse(markdown);
        List<String> out = new ArrayList<>();
        if (log.releases.isEmpty()) {
            out.add("the changelog has no release entries");
            return out;
        }
        if (!log.releases.get(0).version().equals(spec.version().toString())) {
            out.add("the newest changelog entry is " + log.releases.get(0).version() + ", not this version, " + spec.version());
        }
        Set<String> released = new TreeSet<>();
        Set<String> retiredInLog = new TreeSet<>();
        SpecVersion previous = null;
        for (Release r : log.releases) {
            SpecVersion v;
            try {
                v = SpecVersion.parse(r.version());
            } catch (IllegalArgumentException e) {
                out.add("changelog heading " + r.version() + ": " + e.getMessage());
                continue;
            }
            if (previous != null && v.compareTo(previous) >= 0) {
                out.add(r.version() + ": entries must go newest first, but it follows " + previous);
            }
            previous = v;
            released.add(v.toString());
            for (String label : List.of("Added", "Withdrawn", "Retired")) {
                if (r.item(label) == null) out.add(r.version() + ": needs exactly one '- " + label + ":' line");
            }
            checkAdded(r, v, spec, out);
            checkWithdrawn(r, v, spec, out);
            if (r.item("Retired") != null) retiredInLog.addAll(ids(head(r.item("Retired"))));
        }
        Set<String> retired = spec.retired().stream().map(RetiredId::id).collect(Collectors.toCollection(TreeSet::new));
        if (!retiredInLog.equals(retired)) {
            out.add("Retired lines name " + retiredInLog + " but the machine form retires " + retired);
        }
        for (Requirement q : spec.requirements()) {
            if (!released.contains(q.since().toString())) {
                out.add(q.id() + " has since " + q.since() + ", which has no changelog entry");
            }
            if (q.isWithdrawn() && !released.contains(q.withdrawn().in().toString())) {
                out.add(q.id() + " is withdrawn in " + q.withdrawn().in() + ", which has no changelog entry");
            }
        }
        return out;
    }

    private static void checkAdded(Release r, SpecVersion v, PvSpec spec, List<String> out) {
        String item = r.item("Added");
        if (item == null) return;
        Set<String> expected = spec.requirements().stream().filter(q -> q.since().equals(v)).map(Requirement::id)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> named = ids(head(item));
        if (!named.isEmpty() || head(item).startsWith("none")) {
            if (!named.equals(expected)) {
                out.add(v + ": Added names " + named + " but the requirements with since " + v + " are " + expected);
            }
            return;
        }
        // The first release adds too many to name; its line gives the count.
        Matcher n = Pattern.compile("\\d+").matcher(head(item));
        if (!n.find() || Integer.parseInt(n.group()) != expected.size()) {
            out.add(v + ": Added says '" + head(item) + "' but " + expected.size() + " requirements have since " + v);
        }
    }

    private static void checkWithdrawn(Release r, SpecVersion v, PvSpec spec, List<String> out) {
        String item = r.item("Withdrawn");
        if (item == null) return;
        Map<String, Set<String>> named = new TreeMap<>();
        Matcher m = WITHDRAWN_ITEM.matcher(head(item));
        while (m.find()) named.put(m.group(1), m.group(2) == null ? Set.of() : ids(m.group(2)));
        Map<String, Set<String>> expected = new TreeMap<>();
        for (Requirement q : spec.requirements()) {
            if (q.isWithdrawn() && q.withdrawn().in().equals(v)) {
                expected.put(q.id(), new TreeSet<>(q.withdrawn().replacedBy()));
            }
        }
        if (!named.equals(expected)) {
            out.add(v + ": Withdrawn names " + named + " (id=replaced-by) but the machine form withdraws " + expected
                    + " in " + v);
        }
    }
}
