package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.spec.ConstantGroup;
import dev.pvkit.spec.PvSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Feature negotiation rules (spec area FEAT) from the trace: every driver_feature write is compared with the
 * device_feature word the driver itself read for the same select (what QEMU offered); the "SHOULD accept when
 * offered" rules are judged on the set in force when the driver sets FEATURES_OK. A word the driver never read is
 * not judged.
 */
public final class FeatureChecks implements Check {
    /** MUST NOT accept a feature the device did not offer. */
    public static final String ONLY_OFFERED = "DRV-FEAT-001";
    /** MUST NOT accept undefined, reserved or device-type-foreign bits. */
    public static final String ONLY_DEFINED = "DRV-FEAT-005";
    /** MUST accept VIRTIO_F_VERSION_1 when offered. */
    public static final String ACCEPT_VERSION_1 = "DRV-FEAT-010";
    /** SHOULD accept VIRTIO_F_ACCESS_PLATFORM when offered. */
    public static final String ACCEPT_ACCESS_PLATFORM = "DRV-FEAT-012";
    /** SHOULD accept VIRTIO_F_RING_PACKED when offered. */
    public static final String ACCEPT_RING_PACKED = "DRV-FEAT-015";
    /** SHOULD accept VIRTIO_F_ORDER_PLATFORM when offered. */
    public static final String ACCEPT_ORDER_PLATFORM = "DRV-FEAT-016";
    /** SHOULD accept VIRTIO_F_NOTIF_CONFIG_DATA when offered. */
    public static final String ACCEPT_NOTIF_CONFIG_DATA = "DRV-FEAT-022";

    /** Requirement → the feature bit it asks the driver to accept when offered. */
    private static final Map<String, Integer> ACCEPT_WHEN_OFFERED = new LinkedHashMap<>();

    static {
        ACCEPT_WHEN_OFFERED.put(ACCEPT_VERSION_1, VirtioFeatures.VERSION_1);
        ACCEPT_WHEN_OFFERED.put(ACCEPT_ACCESS_PLATFORM, VirtioFeatures.ACCESS_PLATFORM);
        ACCEPT_WHEN_OFFERED.put(ACCEPT_RING_PACKED, VirtioFeatures.RING_PACKED);
        ACCEPT_WHEN_OFFERED.put(ACCEPT_ORDER_PLATFORM, 36);
        ACCEPT_WHEN_OFFERED.put(ACCEPT_NOTIF_CONFIG_DATA, 39);
    }

    private final Map<String, Long> definedByGroup = new HashMap<>();

    @Override
    public Set<String> decides() {
        Set<String> s = new java.util.HashSet<>(ACCEPT_WHEN_OFFERED.keySet());
        s.add(ONLY_OFFERED);
        s.add(ONLY_DEFINED);
        return Set.copyOf(s);
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        PciRegisters.replay(session, (t, r) -> {
            if (t.isWriteOf(CommonField.DRIVER_FEATURE) && t.offset() == CommonField.DRIVER_FEATURE.offset()) {
                long sel = r.driverFeatureSelect();
                long value = t.value() & 0xffffffffL;
                r.offered(sel).ifPresent(offered -> {
                    long unoffered = value & ~offered;
                    if (unoffered != 0) {
                        findings.broke(ONLY_OFFERED, -1, t, String.format(
                                "accepted %s in driver_feature word %d (0x%08x) although device_feature word %d read"
                                        + " 0x%08x; the rule forbids accepting a feature the device did not offer",
                                bits(unoffered, sel), sel, value, sel, offered));
                    } else {
                        findings.kept(ONLY_OFFERED, t);
                    }
                    // An unoffered undefined bit is already the FEAT-001 finding; FEAT-005 judges offered ones.
                    long undefined = value & offered & ~defined(t.device(), sel);
                    if (defined(t.device(), sel) == -1L) return;
                    if (undefined != 0) {
                        findings.broke(ONLY_DEFINED, -1, t, String.format(
                                "accepted %s in driver_feature word %d, undefined, reserved or legacy-only for a modern"
                                        + " %s device (the device offered it); the rule forbids accepting such bits",
                                bits(undefined, sel), sel, t.device()));
                    } else {
                        findings.kept(ONLY_DEFINED, t);
                    }
                });
            }
            if (PciRegisters.isStatusWrite(t) && r.known() && (t.value() & DeviceStatus.FEATURES_OK) != 0
                    && !r.featuresOk()) {
                for (Map.Entry<String, Integer> e : ACCEPT_WHEN_OFFERED.entrySet()) {
                    int bit = e.getValue();
                    if (!r.offers(bit).orElse(false)) continue;
                    if (r.accepts(bit).orElse(true)) {
                        findings.kept(e.getKey(), t);
                    } else {
                        findings.broke(e.getKey(), -1, t, String.format(
                                "set FEATURES_OK with driver_feature word %d = 0x%08x: %s offered (device_feature word"
                                        + " %d read 0x%08x) but not accepted; the rule asks the driver to accept it",
                                bit / 32, r.accepted(bit / 32).orElse(0), bits(1L << (bit % 32), bit / 32), bit / 32,
                                r.offered(bit / 32).orElse(0)));
                    }
                }
            }
        });
    }

    /** The bits of word {@code sel} defined for a modern driver of {@code device}'s type, or -1 for an unknown type. */
    private long defined(String device, long sel) {
        String group = device == null ? null : device.contains("blk") ? "virtio.blk.feature"
                : device.contains("net") ? "virtio.net.feature" : null;
        if (group == null) return -1L;
        long all = definedByGroup.computeIfAbsent(group, FeatureChecks::definedBits);
        return sel > 1 ? 0 : (all >>> (32 * sel)) & 0xffffffffL;
    }

    private static long definedBits(String deviceGroup) {
        PvSpec spec = PvSpec.load();
        long bits = 0;
        for (String g : List.of(deviceGroup, "virtio.feature")) {
            for (ConstantGroup.Constant c : spec.constants(g).values()) {
                if (c.value() < 64 && !c.doc().startsWith("legacy only")) bits |= 1L << c.value();
            }
        }
        return bits;
    }

    /** "bit 33 (ACCESS_PLATFORM), bit 40" for the set bits of word {@code sel}. */
    static String bits(long word, long sel) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            if ((word & (1L << i)) != 0) out.add("bit " + (sel * 32 + i));
        }
        return "feature " + String.join(", ", out);
    }
}
