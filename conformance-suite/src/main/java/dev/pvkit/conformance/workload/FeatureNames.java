package dev.pvkit.conformance.workload;

import dev.pvkit.spec.ConstantGroup;
import dev.pvkit.spec.PvSpec;

import java.util.ArrayList;
import java.util.List;

/** Names of negotiated feature bits, from the spec's constant groups (transport bits plus a device type's). */
public final class FeatureNames {
    private FeatureNames() {
    }

    /** E.g. {@code [SEG_MAX, BLK_SIZE, FLUSH, VERSION_1]} for {@code deviceGroup} "virtio.blk.feature". */
    public static List<String> of(long features, String deviceGroup) {
        PvSpec spec = PvSpec.load();
        List<String> names = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) {
            if ((features & (1L << bit)) == 0) continue;
            // Bit 30 is unused by virtio itself; vhost-user takes it for its protocol-features handshake.
            String name = bit == 30 ? "PROTOCOL_FEATURES (vhost-user)" : nameOf(spec.constants(deviceGroup), bit);
            if (name == null) name = nameOf(spec.constants("virtio.feature"), bit);
            names.add(name != null ? name : "bit " + bit);
        }
        return names;
    }

    private static String nameOf(ConstantGroup g, int bit) {
        return g.values().stream().filter(c -> c.value() == bit).map(ConstantGroup.Constant::name).findFirst().orElse(null);
    }
}
