package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.spec.PvSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * DRV-FEAT-002 (MUST NOT accept a feature whose prerequisite was not accepted), judged on the set the driver has
 * accepted (its driver_feature writes since the reset) when it sets FEATURES_OK, against the prerequisites the virtio
 * text states, kept as data in {@code feature-prerequisites.tsv}. The text states none for the device-independent
 * bits or for virtio-blk (see the file), so only device types with rules (virtio-net) are ever judged; a blk session
 * leaves the requirement not exercised. A dependent bit the driver accepted although it was not offered is
 * DRV-FEAT-001's finding and is not judged again here. All bits missing their prerequisites at one FEATURES_OK
 * write are one finding: the one act of setting FEATURES_OK with an inconsistent set.
 */
public final class FeaturePrerequisiteCheck implements Check {
    public static final String PREREQUISITES_ACCEPTED = "DRV-FEAT-002";
    static final String RULES = "feature-prerequisites.tsv";

    /** A dependent bit and what it requires: every group of {@code allOf} needs at least one of its bits. */
    record Rule(String name, int bit, List<List<Integer>> allOf, String text, String source) {
    }

    private final Map<String, List<Rule>> rulesByGroup = new HashMap<>();

    @Override
    public Set<String> decides() {
        return Set.of(PREREQUISITES_ACCEPTED);
    }

    @Override
    public String name() {
        return "feature prerequisites";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        PciRegisters.replay(session, (t, r) -> {
            if (!PciRegisters.isStatusWrite(t) || !r.known() || (t.value() & DeviceStatus.FEATURES_OK) == 0
                    || r.featuresOk()) return;
            List<Rule> rules = rules(t.device());
            if (rules.isEmpty()) return;
            List<String> missing = new ArrayList<>();
            boolean any = false;
            for (Rule rule : rules) {
                if (!r.accepts(rule.bit).orElse(false)) continue;
                if (!r.offers(rule.bit).orElse(true)) continue; // unoffered: DRV-FEAT-001's
                any = true;
                boolean ok = rule.allOf.stream().allMatch(anyOf -> anyOf.stream().anyMatch(b -> r.accepts(b).orElse(false)));
                if (!ok) missing.add(String.format("%s (bit %d) without %s (%s)", rule.name, rule.bit, rule.text, rule.source));
            }
            if (!any) return;
            if (missing.isEmpty()) {
                findings.kept(PREREQUISITES_ACCEPTED, t);
            } else {
                findings.broke(PREREQUISITES_ACCEPTED, -1, t, String.format("set FEATURES_OK having accepted %s; the"
                        + " rule forbids accepting a feature without the features it requires", String.join("; ", missing)));
            }
        });
    }

    /** The rules for the device type of {@code device} (a QEMU device name such as virtio-net), with the common ones. */
    List<Rule> rules(String device) {
        String group = device == null ? null : device.contains("blk") ? "virtio.blk.feature"
                : device.contains("net") ? "virtio.net.feature" : null;
        if (group == null) return List.of();
        return rulesByGroup.computeIfAbsent(group, g -> {
            List<Rule> out = new ArrayList<>(load(g));
            out.addAll(load("virtio.feature"));
            return List.copyOf(out);
        });
    }

    /** The rules of one constant group, bits resolved by name in that group or virtio.feature. */
    static List<Rule> load(String group) {
        PvSpec spec = PvSpec.load();
        List<Rule> rules = new ArrayList<>();
        try (InputStream in = FeaturePrerequisiteCheck.class.getResourceAsStream(RULES)) {
            if (in == null) throw new IllegalStateException("missing " + RULES);
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList()) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t");
                if (f.length != 4) throw new IllegalStateException(RULES + ": not 4 fields: " + line);
                if (!f[0].equals(group)) continue;
                List<List<Integer>> allOf = new ArrayList<>();
                for (String term : f[2].split(",")) {
                    List<Integer> anyOf = new ArrayList<>();
                    for (String n : term.split("\\|")) anyOf.add(bit(spec, group, n.strip()));
                    allOf.add(List.copyOf(anyOf));
                }
                rules.add(new Rule(f[1], bit(spec, group, f[1]), List.copyOf(allOf), f[2], f[3]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rules;
    }

    private static int bit(PvSpec spec, String group, String name) {
        var c = spec.constants(group).find(name);
        if (c.isEmpty()) c = spec.constants("virtio.feature").find(name);
        return (int) c.orElseThrow(() -> new IllegalStateException(RULES + ": no feature " + name + " in " + group)).value();
    }
}
