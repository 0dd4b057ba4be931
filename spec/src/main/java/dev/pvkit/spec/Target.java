package dev.pvkit.spec;

import java.util.Arrays;
import java.util.Optional;

/**
 * Who a requirement binds. Front-end and back-end are the two sides of a vhost-user connection; in Xen terms
 * the frontend is the driver and the backend the device.
 */
public enum Target {
    DRIVER("driver", "DRV"),
    DEVICE("device", "DEV"),
    FRONT_END("front-end", "FE"),
    BACK_END("back-end", "BE");

    private final String yamlName;
    private final String idPrefix;

    Target(String yamlName, String idPrefix) {
        this.yamlName = yamlName;
        this.idPrefix = idPrefix;
    }

    /** The spelling used in the machine-readable spec. */
    public String yamlName() {
        return yamlName;
    }

    /** The first component of every requirement id with this target. */
    public String idPrefix() {
        return idPrefix;
    }

    public static Optional<Target> fromYaml(String name) {
        return Arrays.stream(values()).filter(t -> t.yamlName.equals(name)).findFirst();
    }

    public static Optional<Target> fromIdPrefix(String prefix) {
        return Arrays.stream(values()).filter(t -> t.idPrefix.equals(prefix)).findFirst();
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
