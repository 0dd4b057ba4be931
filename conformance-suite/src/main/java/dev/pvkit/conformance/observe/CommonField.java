package dev.pvkit.conformance.observe;

import java.util.Optional;

/** The fields of {@code struct virtio_pci_common_cfg} (virtio 1.4 §4.1.4.3), by offset and width. */
public enum CommonField {
    DEVICE_FEATURE_SELECT(0x00, 4, "device_feature_select"),
    DEVICE_FEATURE(0x04, 4, "device_feature"),
    DRIVER_FEATURE_SELECT(0x08, 4, "driver_feature_select"),
    DRIVER_FEATURE(0x0c, 4, "driver_feature"),
    CONFIG_MSIX_VECTOR(0x10, 2, "config_msix_vector"),
    NUM_QUEUES(0x12, 2, "num_queues"),
    DEVICE_STATUS(0x14, 1, "device_status"),
    CONFIG_GENERATION(0x15, 1, "config_generation"),
    QUEUE_SELECT(0x16, 2, "queue_select"),
    QUEUE_SIZE(0x18, 2, "queue_size"),
    QUEUE_MSIX_VECTOR(0x1a, 2, "queue_msix_vector"),
    QUEUE_ENABLE(0x1c, 2, "queue_enable"),
    QUEUE_NOTIFY_OFF(0x1e, 2, "queue_notify_off"),
    QUEUE_DESC(0x20, 8, "queue_desc"),
    QUEUE_DRIVER(0x28, 8, "queue_driver"),
    QUEUE_DEVICE(0x30, 8, "queue_device"),
    QUEUE_NOTIF_CONFIG_DATA(0x38, 2, "queue_notif_config_data"),
    QUEUE_RESET(0x3a, 2, "queue_reset");

    private final int offset;
    private final int width;
    private final String fieldName;

    CommonField(int offset, int width, String fieldName) {
        this.offset = offset;
        this.width = width;
        this.fieldName = fieldName;
    }

    public int offset() {
        return offset;
    }

    public int width() {
        return width;
    }

    /** The field's name in the virtio text. */
    public String fieldName() {
        return fieldName;
    }

    /** The field an access at {@code offset} touches (64-bit fields may be accessed as two 32-bit halves). */
    public static Optional<CommonField> at(int offset) {
        for (CommonField f : values()) {
            if (offset >= f.offset && offset < f.offset + f.width) return Optional.of(f);
        }
        return Optional.empty();
    }
}
