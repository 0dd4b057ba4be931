package dev.pvkit.spec;

import java.util.Arrays;
import java.util.Optional;

/** Whether a device-side monitor can see a requirement being kept or broken. */
public enum Observability {
    /** The device sees the act itself: ring memory it reads, a register or message it receives. */
    YES("yes"),
    /** Only some cases, or only consequences, reach the device. */
    PARTLY("partly"),
    /** Internal to the other side; a device-side suite cannot check it. */
    NO("no");

    private final String yamlName;

    Observability(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }

    public static Optional<Observability> fromYaml(String name) {
        return Arrays.stream(values()).filter(o -> o.yamlName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
