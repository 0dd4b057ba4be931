package dev.pvkit.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real headings of virtio 1.4 (test resource {@value #RESOURCE}: {@code number<TAB>title}, {@code #} comments),
 * and the checks of the spec's virtio citations against them: a cited section must exist, a declared title must be
 * that section's heading, a coverage entry must be a "Driver Requirements" block, and nothing may cite a
 * "Legacy Interface" section (PVKit does not profile the legacy interface).
 */
final class VirtioHeadings {

    static final String RESOURCE = "dev/pvkit/spec/virtio-1.4-sections.tsv";
    static final String VERSION = "1.4";

    private static final Pattern LEGACY = Pattern.compile("^Legacy Interfaces?:");
    /** A coverage line of pvspec.yaml with its title comment: {@code - "virtio-1.4 §2.7.8.3"   # Driver Requirements: …}. */
    private static final Pattern COVERAGE_COMMENT =
            Pattern.compile("(?m)^\\s*-\\s*\"virtio-1\\.4 §([0-9.]+)\"\\s*#\\s*(.*?)\\s*$");

    private final Map<String, String> titles;

    private VirtioHeadings(Map<String, String> titles) {
        this.titles = Collections.unmodifiableMap(titles);
    }

    static VirtioHeadings load() {
        try (InputStream in = VirtioHeadings.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is not on the test classpath");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static VirtioHeadings parse(String tsv) {
        Map<String, String> titles = new LinkedHashMap<>();
        int lineNo = 0;
        for (String line : tsv.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] cols = line.split("\t", -1);
            if (cols.length != 2 || cols[0].isBlank() || cols[1].isBlank()) {
                throw new IllegalArgumentException(RESOURCE + ":" + lineNo + ": expected 'number<TAB>title': " + line);
            }
            if (titles.putIfAbsent(cols[0], cols[1]) != null) {
                throw new IllegalArgumentException(RESOURCE + ":" + lineNo + ": section " + cols[0] + " listed twice");
            }
        }
        return new VirtioHeadings(titles);
    }

    Map<String, String> titles() {
        return titles;
    }

    Optional<String> title(String number) {
        return Optional.ofNullable(titles.get(number));
    }

    /** The section number of a virtio-1.4 ref, or empty for other kinds and versions. */
    static Optional<String> number(SourceRef ref) {
        if (ref.kind() != SourceRef.Kind.VIRTIO || !ref.locator().startsWith(VERSION + " §")) return Optional.empty();
        return Optional.of(ref.locator().substring((VERSION + " §").length()));
    }

    /** Every disagreement between the spec's virtio citations and the real headings; empty when all agree. */
    List<SpecConsistency.Problem> check(PvSpec spec) {
        List<SpecConsistency.Problem> out = new ArrayList<>();
        for (SourceEntry s : spec.sources()) {
            String where = "parts/" + s.part() + ".yaml source " + s.ref();
            if (s.ref().kind() != SourceRef.Kind.VIRTIO) continue;
            Optional<String> n = number(s.ref());
            if (n.isEmpty()) {
                out.add(new SpecConsistency.Problem(where, "only virtio " + VERSION + " headings are known to the check"));
                continue;
            }
            String real = titles.get(n.get());
            if (real == null) {
                out.add(new SpecConsistency.Problem(where, "virtio " + VERSION + " has no section " + n.get()));
            } else if (!real.equals(s.title())) {
                out.add(new SpecConsistency.Problem(where,
                        "declared title '" + s.title() + "' but virtio " + VERSION + " §" + n.get() + " is '" + real + "'"));
            }
        }
        for (Requirement r : spec.requirements()) {
            citation(r.source(), "parts/" + r.part() + ".yaml " + r.id(), out);
        }
        for (Layout l : spec.layouts()) {
            citation(l.source(), "parts/" + l.part() + ".yaml layout " + l.name(), out);
        }
        for (ConstantGroup g : spec.constantGroups()) {
            citation(g.source(), "parts/" + g.part() + ".yaml constants " + g.group(), out);
        }
        for (SourceRef c : spec.coverage()) {
            String where = "pvspec.yaml coverage " + c;
            number(c).ifPresent(n -> {
                String real = titles.get(n);
                if (real == null) {
                    out.add(new SpecConsistency.Problem(where, "virtio " + VERSION + " has no section " + n));
                } else if (!real.startsWith("Driver Requirements: ")) {
                    out.add(new SpecConsistency.Problem(where, "is not a driver-normative block: §" + n + " is '" + real + "'"));
                }
            });
        }
        return out;
    }

    /** A cited section must exist and must not be a legacy-interface section. */
    private void citation(SourceRef ref, String where, List<SpecConsistency.Problem> out) {
        number(ref).ifPresent(n -> {
            String real = titles.get(n);
            if (real == null) {
                out.add(new SpecConsistency.Problem(where, "cites " + ref + ", but virtio " + VERSION + " has no section " + n));
            } else if (LEGACY.matcher(real).find()) {
                out.add(new SpecConsistency.Problem(where,
                        "cites " + ref + " '" + real + "', a legacy-interface section PVKit does not profile"));
            }
        });
    }

    /** The title comments on the coverage lines of pvspec.yaml's text must be the headings they name. */
    List<SpecConsistency.Problem> checkCoverageComments(String indexYaml) {
        List<SpecConsistency.Problem> out = new ArrayList<>();
        Matcher m = COVERAGE_COMMENT.matcher(indexYaml);
        while (m.find()) {
            String real = titles.get(m.group(1));
            if (!m.group(2).equals(real)) {
                out.add(new SpecConsistency.Problem("pvspec.yaml coverage virtio-1.4 §" + m.group(1),
                        "comment says '" + m.group(2) + "' but the heading is " + (real == null ? "absent" : "'" + real + "'")));
            }
        }
        return out;
    }
}
