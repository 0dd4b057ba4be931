package dev.pvkit.conformance.observe;

/**
 * One register access of the driver on the virtio-pci transport, as QEMU traced it. {@code offset} is relative to
 * the start of its structure; {@code field} names the common-configuration field at that offset (or the device
 * configuration's offset as {@code "config+0x14"}, or {@code "isr"}).
 */
public record TransportEvent(long micros, Region region, boolean write, int offset, int size, long value,
                             String device) implements Event {

    /** The virtio-pci structures a driver touches (virtio 1.4 §4.1.4). */
    public enum Region {
        COMMON("virtio-pci-common-"),
        DEVICE("virtio-pci-device-"),
        ISR("virtio-pci-isr-"),
        NOTIFY("virtio-pci-notify-");

        private final String namePrefix;

        Region(String namePrefix) {
            this.namePrefix = namePrefix;
        }

        /** The prefix of QEMU's memory-region name for this structure, e.g. {@code virtio-pci-common-}. */
        public String namePrefix() {
            return namePrefix;
        }
    }

    @Override
    public Source source() {
        return Source.TRANSPORT;
    }

    /** The common-configuration field accessed, or null outside the common configuration (or between fields). */
    public CommonField commonField() {
        return region == Region.COMMON ? CommonField.at(offset).orElse(null) : null;
    }

    public boolean isWriteOf(CommonField f) {
        return write && commonField() == f;
    }

    public boolean isReadOf(CommonField f) {
        return !write && commonField() == f;
    }

    @Override
    public String describe() {
        CommonField f = commonField();
        String where = switch (region) {
            case COMMON -> f != null ? f.fieldName() + (offset != f.offset() ? "+" + (offset - f.offset()) : "")
                    : String.format("common+0x%x", offset);
            case DEVICE -> String.format("device config+0x%x", offset);
            case ISR -> "isr";
            case NOTIFY -> String.format("notify+0x%x", offset);
        };
        String v = f == CommonField.DEVICE_STATUS ? String.format("0x%x (%s)", value, DeviceStatus.describe((int) value))
                : String.format("0x%x", value);
        return String.format("transport: %s %s %s %s (%d byte%s)", device, write ? "write" : "read", where,
                v, size, size == 1 ? "" : "s");
    }
}
