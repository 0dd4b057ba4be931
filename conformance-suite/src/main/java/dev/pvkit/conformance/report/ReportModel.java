package dev.pvkit.conformance.report;

import dev.pvkit.conformance.verdict.Certification;
import dev.pvkit.conformance.verdict.Evidence;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.conformance.verdict.Waiver;
import dev.pvkit.spec.Area;
import dev.pvkit.spec.ConstantGroup;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** What the three report writers share: names, orders and counts taken from a certification and the spec. */
final class ReportModel {
    /** The report format; a consumer checks it before reading a report. */
    /**
     * The report format; a consumer checks it before reading a report. Version 2 added the outcome {@code waived},
     * the count of it, each requirement's {@code waiver}, and the run's {@code profile} and {@code waivers}: a
     * version-1 reader would miscount a waived requirement.
     */
    static final String SCHEMA = "pvkit-report/2";

    private static final List<String> GUEST_ORDER = List.of("mode", "kernel", "firmware", "qemu", "accelerator", "incomplete");
    private static final List<String> DEVICE_ORDER = List.of("type", "capacity", "offered features");

    private ReportModel() {
    }

    /** Whether the report's result is fail: the certification failed, or (merged) a cell failed, could not run or is missing. */
    static boolean failed(Certification c, MatrixPart matrix) {
        return c.failed() || (matrix != null && matrix.failed());
    }

    /** Requirements of one area, in the order a report lists them. */
    record AreaGroup(String code, String name, List<RequirementVerdict> verdicts) {
    }

    /** The identifier an outcome has in report.json: {@code fail}, {@code not_exercised}… */
    static String outcomeId(Outcome o) {
        return o.name().toLowerCase(Locale.ROOT);
    }

    /** What a verdict is shown as: {@code warning} for a failed SHOULD, otherwise its outcome's identifier. */
    static String labelId(RequirementVerdict v) {
        return v.isWarning() ? "warning" : outcomeId(v.outcome());
    }

    /**
     * Why this requirement has no pass or fail, as specific as the spec allows: its {@code unchecked} reason when no
     * check decides it, its {@code how} when nothing can observe it, otherwise the outcome's general reason; null
     * for a pass or a fail.
     */
    static String reason(RequirementVerdict v) {
        Requirement r = v.requirement();
        return switch (v.outcome()) {
            case PASS, FAIL, WAIVED -> null;
            case NOT_CHECKED -> r.uncheckedReason().orElse(skipReason(v.outcome()));
            case NOT_OBSERVABLE -> r.how() == null || r.how().isBlank() ? skipReason(v.outcome()) : r.how();
            default -> skipReason(v.outcome());
        };
    }

    /** Why a requirement has no pass or fail, in one sentence, for skipped test cases. */
    static String skipReason(Outcome o) {
        return switch (o) {
            case NOT_EXERCISED -> "the check watched, but the driver never did what this rule is about";
            case NOT_OBSERVABLE -> "PVKit's device side cannot see this rule kept or broken";
            case NOT_CHECKED -> "no check of this PVKit version decides it yet";
            case PERMISSION -> "a MAY grants the driver a choice, which no act of the driver can break";
            default -> o.label();
        };
    }

    /** Guest facts, the usual ones first in a fixed order, then any others by name. */
    static Map<String, String> guestFacts(Certification c) {
        return ordered(c.guest(), GUEST_ORDER);
    }

    static Map<String, String> deviceFacts(Certification c) {
        return ordered(c.device(), DEVICE_ORDER);
    }

    private static Map<String, String> ordered(Map<String, String> facts, List<String> first) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : first) if (facts.containsKey(k)) out.put(k, facts.get(k));
        new TreeMap<>(facts).forEach(out::putIfAbsent);
        return out;
    }

    static String areaName(PvSpec spec, String code) {
        return spec.area(code).map(Area::name).orElse(code);
    }

    /** 0 for a violation, 1 for a warning, 2 for a waived failure, then pass, not exercised, not observable, not checked. */
    static int severity(RequirementVerdict v) {
        if (v.isViolation()) return 0;
        if (v.isWarning()) return 1;
        return switch (v.outcome()) {
            case WAIVED -> 2;
            case PASS -> 3;
            case NOT_EXERCISED -> 4;
            case NOT_OBSERVABLE -> 5;
            default -> 6;
        };
    }

    /**
     * The verdicts grouped by area. In catalog order, or with {@code worstFirst} the areas holding failures first and
     * within each area failures, then warnings, then the rest (each group keeping catalog order).
     */
    static List<AreaGroup> byArea(Certification c, PvSpec spec, boolean worstFirst) {
        Map<String, List<RequirementVerdict>> groups = new LinkedHashMap<>();
        for (RequirementVerdict v : c.verdicts()) {
            groups.computeIfAbsent(v.requirement().area(), k -> new ArrayList<>()).add(v);
        }
        List<AreaGroup> out = new ArrayList<>();
        groups.forEach((code, vs) -> {
            List<RequirementVerdict> sorted = new ArrayList<>(vs);
            if (worstFirst) sorted.sort(Comparator.comparingInt(ReportModel::severity));
            out.add(new AreaGroup(code, areaName(spec, code), sorted));
        });
        if (worstFirst) {
            out.sort(Comparator.comparingInt(g -> g.verdicts().stream().mapToInt(v -> Math.min(2, severity(v))).min().orElse(2)));
        }
        return out;
    }

    /**
     * What a waiver did to a verdict, in one sentence: e.g. {@code waived until 2026-06-30 by storage-team: fix in
     * 1.17} or {@code waiver expired on 2020-01-01 (storage-team: fix in 1.17)}; null when no waiver names it.
     */
    static String waiverNote(RequirementVerdict v) {
        Waiver w = v.waiver();
        if (w == null) return null;
        return v.isWaived() ? "waived until " + w.expires() + " by " + w.owner() + ": " + w.reason()
                : "waiver expired on " + w.expires() + " (" + w.owner() + ": " + w.reason() + "); the failure counts";
    }

    /** The first evidence's summary, with how many more there are; empty when there is none. */
    static String evidenceSummary(RequirementVerdict v) {
        if (v.evidence().isEmpty()) return "";
        String s = v.evidence().get(0).summary();
        int more = v.evidence().size() - 1;
        return more == 0 ? s : s + " (and " + more + " more)";
    }

    /** Where an evidence was seen, in one line: session, queue, guest and host time. */
    static String where(Evidence e) {
        StringBuilder b = new StringBuilder(e.session());
        b.append(e.queue() < 0 ? ", transport / negotiation" : ", queue " + e.queue());
        if (e.guestSeconds() >= 0) b.append(String.format(Locale.ROOT, ", guest time %.6f s", e.guestSeconds()));
        if (e.hostTime() != null) b.append(", host time ").append(e.hostTime());
        return b.toString();
    }

    /** A statement cut to about {@code max} characters at a word boundary, for test case names. */
    static String shorten(String s, int max) {
        if (s.length() <= max) return s;
        int cut = s.lastIndexOf(' ', max - 1);
        if (cut < max / 2) cut = max - 1;
        return s.substring(0, cut).replaceAll("[,;:.]$", "") + "…";
    }

    /**
     * Feature bits (hex, e.g. {@code 0x130000644}) by name, from the spec's device-independent feature bits and, for a
     * virtio-blk (or another device type's) device, its own; bits without a name as {@code bit N}. Null in, null out; text that is not hex comes
     * back as it is.
     */
    static String featureNames(String hex, PvSpec spec, boolean blk) {
        return featureNames(hex, spec, blk ? "blk" : null);
    }

    /** {@link #featureNames(String, PvSpec, boolean)} for a device type by its name in the spec ("blk", "net"), or none. */
    static String featureNames(String hex, PvSpec spec, String deviceType) {
        if (hex == null) return null;
        long bits;
        try {
            bits = Long.parseUnsignedLong(hex.startsWith("0x") || hex.startsWith("0X") ? hex.substring(2) : hex, 16);
        } catch (NumberFormatException e) {
            return hex;
        }
        Map<Long, String> names = new TreeMap<>();
        addBits(names, spec, "virtio.feature", "VIRTIO_F_");
        if (deviceType != null) addBits(names, spec, "virtio." + deviceType + ".feature", "VIRTIO_" + deviceType.toUpperCase(java.util.Locale.ROOT) + "_F_");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            if ((bits & (1L << i)) != 0) out.add(names.getOrDefault((long) i, "bit " + i));
        }
        return out.isEmpty() ? "none" : String.join(", ", out);
    }

    private static void addBits(Map<Long, String> names, PvSpec spec, String group, String prefix) {
        try {
            for (ConstantGroup.Constant k : spec.constants(group).values()) {
                String n = k.name();
                // The two ring features keep their historical prefix in the virtio headers.
                // Bit 30, unused by virtio, is vhost-user's PROTOCOL_FEATURES.
                boolean ring = n.equals("INDIRECT_DESC") || n.equals("EVENT_IDX");
                String name = n.equals("UNUSED") ? "VHOST_USER_F_PROTOCOL_FEATURES" : (ring ? "VIRTIO_RING_F_" : prefix) + n;
                names.putIfAbsent(k.value(), name);
            }
        } catch (java.util.NoSuchElementException e) {
            // A spec without the group names no bits; the numbers still show.
        }
    }
}
