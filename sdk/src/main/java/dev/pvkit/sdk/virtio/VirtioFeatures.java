package dev.pvkit.sdk.virtio;

/**
 * Transport-level virtio feature bits (virtio 1.4 chapter 6; spec group {@code virtio.feature}) and helpers
 * over a 64-bit feature word. Tests check these numbers against the machine-readable spec.
 */
public final class VirtioFeatures {
    private VirtioFeatures() {
    }

    public static final int INDIRECT_DESC = 28;
    public static final int EVENT_IDX = 29;
    public static final int VERSION_1 = 32;
    public static final int ACCESS_PLATFORM = 33;
    public static final int RING_PACKED = 34;
    public static final int IN_ORDER = 35;

    public static long bit(int feature) {
        return 1L << feature;
    }

    public static boolean has(long features, int feature) {
        return (features & bit(feature)) != 0;
    }
}
