package dev.pvkit.conformance.guest;

import java.util.Map;

/**
 * What the agent's {@code INFO <dev>} reports about a guest block device (spec Appendix B.3).
 *
 * @param features the virtio features the guest driver negotiated (bit i = character i of sysfs {@code features}),
 *                 or -1 if the device is not a virtio device
 * @param device   the device's name on its bus, e.g. {@code virtio1} (what {@code REBIND} takes)
 */
public record BlockInfo(long sizeBytes, int queues, int blockSize, boolean readOnly, long discardMaxBytes,
                        String device, String driver, long features, String serial) {

    public static BlockInfo parse(Map<String, String> f) {
        return new BlockInfo(Long.parseLong(f.get("size")), Integer.parseInt(f.getOrDefault("queues", "0")),
                Integer.parseInt(f.getOrDefault("block", "512")), "1".equals(f.get("ro")),
                Long.parseLong(f.getOrDefault("discard", "0")), f.getOrDefault("device", "-"),
                f.getOrDefault("driver", "-"), parseFeatures(f.getOrDefault("features", "-")),
                f.getOrDefault("serial", "-"));
    }

    /** Linux prints virtio features as a string of '0'/'1', bit 0 first. */
    static long parseFeatures(String bits) {
        if (bits.equals("-")) return -1;
        long v = 0;
        for (int i = 0; i < Math.min(64, bits.length()); i++) if (bits.charAt(i) == '1') v |= 1L << i;
        return v;
    }

    public boolean hasFeature(int bit) {
        return features >= 0 && (features & (1L << bit)) != 0;
    }
}
