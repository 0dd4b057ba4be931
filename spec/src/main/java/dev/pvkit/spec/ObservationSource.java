package dev.pvkit.spec;

import java.util.Arrays;
import java.util.Optional;

/**
 * Where PVKit sees a driver requirement kept or broken (§2 of the text, "Observed through"). A virtio driver is
 * watched from a vhost-user back-end behind QEMU, which has three sources; a Xen frontend is watched from a Xen
 * backend in dom0, which has two. A requirement that none of them shows is observed through {@code none}, which
 * the machine form writes as the single value {@code none} and the record as an empty set.
 */
public enum ObservationSource {
    /** Guest memory the vhost-user back-end reads (rings, descriptors, event suppression, buffers) and its kick eventfds. */
    RING("ring"),
    /** The vhost-user messages QEMU sends the back-end: QEMU's own view of the device, not the driver's register writes. */
    VHOST_USER("vhost-user"),
    /** QEMU's memory-region trace of the driver's accesses to the virtio-pci common, device and ISR regions. */
    TRANSPORT_TRACE("transport-trace"),
    /** For a Xen frontend: the shared ring pages, granted pages and event channel the Xen backend uses. */
    XEN_RING("xen-ring"),
    /** For a Xen frontend: the xenstore nodes the Xen backend reads and watches. */
    XENSTORE("xenstore");

    /** The machine-form value for "no source shows it". */
    public static final String NONE = "none";

    private final String yamlName;

    ObservationSource(String yamlName) {
        this.yamlName = yamlName;
    }

    public String yamlName() {
        return yamlName;
    }

    public static Optional<ObservationSource> fromYaml(String name) {
        return Arrays.stream(values()).filter(o -> o.yamlName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return yamlName;
    }
}
