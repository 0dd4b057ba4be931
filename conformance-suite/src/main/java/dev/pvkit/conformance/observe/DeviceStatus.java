package dev.pvkit.conformance.observe;

import java.util.ArrayList;
import java.util.List;

/** Device status bits (virtio 1.4 §2.1). */
public final class DeviceStatus {
    public static final int ACKNOWLEDGE = 1;
    public static final int DRIVER = 2;
    public static final int DRIVER_OK = 4;
    public static final int FEATURES_OK = 8;
    public static final int SUSPEND = 16;
    public static final int DEVICE_NEEDS_RESET = 64;
    public static final int FAILED = 128;

    private DeviceStatus() {
    }

    /** {@code ACKNOWLEDGE|DRIVER|...}, or {@code reset} for 0. */
    public static String describe(int status) {
        if (status == 0) return "reset";
        List<String> names = new ArrayList<>();
        String[] bits = {"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "SUSPEND", "bit5", "DEVICE_NEEDS_RESET", "FAILED"};
        for (int i = 0; i < 8; i++) if ((status & (1 << i)) != 0) names.add(bits[i]);
        return String.join("|", names);
    }
}
