package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The virtio-pci registers of one device as the driver's traced accesses leave them, replayed access by access
 * through one session. Only what the driver did and what QEMU answered is used: the features the device offered
 * are the {@code device_feature} values the driver itself read (per select), the features it accepted the
 * {@code driver_feature} values it wrote (per select). A session that did not start with the driver's reset
 * starts from unknown registers ({@link #known()} false), and the checks then judge nothing that depends on them.
 */
final class PciRegisters {
    private final boolean known;
    /** Status bits the driver has written since the reset (its own steps, not what QEMU reads back). */
    private int statusSet;
    private long deviceFeatureSelect;
    private long driverFeatureSelect;
    private long queueSelect;
    private final Map<Long, Long> offered = new HashMap<>();
    private final Map<Long, Long> accepted = new HashMap<>();
    private boolean featureWritten;

    PciRegisters(boolean known) {
        this.known = known;
    }

    /** The transport events of {@code session} in order. */
    static List<TransportEvent> accesses(DriverSession session) {
        return session.events(TransportEvent.class);
    }

    /** Replays {@code session}, calling {@code visitor} with each access and the registers as they were before it. */
    static void replay(DriverSession session, Visitor visitor) {
        PciRegisters r = new PciRegisters(session.startedByReset());
        for (Event e : session.events()) {
            if (!(e instanceof TransportEvent t)) continue;
            visitor.visit(t, r);
            r.apply(t);
        }
    }

    interface Visitor {
        void visit(TransportEvent access, PciRegisters before);
    }

    void apply(TransportEvent t) {
        CommonField f = t.commonField();
        if (f == null) return;
        if (t.write()) {
            switch (f) {
                case DEVICE_STATUS -> statusSet = t.value() == 0 ? 0 : statusSet | (int) t.value();
                case DEVICE_FEATURE_SELECT -> deviceFeatureSelect = t.value();
                case DRIVER_FEATURE_SELECT -> driverFeatureSelect = t.value();
                case DRIVER_FEATURE -> {
                    accepted.put(driverFeatureSelect, t.value() & 0xffffffffL);
                    featureWritten = true;
                }
                case QUEUE_SELECT -> queueSelect = t.value();
                default -> { }
            }
            if (f == CommonField.DEVICE_STATUS && t.value() == 0) {
                offered.clear();
                accepted.clear();
                deviceFeatureSelect = driverFeatureSelect = queueSelect = 0;
                featureWritten = false;
            }
        } else if (f == CommonField.DEVICE_FEATURE && known) {
            offered.put(deviceFeatureSelect, t.value() & 0xffffffffL);
        }
    }

    /** Whether the registers are known: the session started with the driver's reset. */
    boolean known() {
        return known;
    }

    int statusSet() {
        return statusSet;
    }

    boolean has(int statusBit) {
        return (statusSet & statusBit) != 0;
    }

    boolean featuresOk() {
        return has(DeviceStatus.FEATURES_OK);
    }

    long deviceFeatureSelect() {
        return deviceFeatureSelect;
    }

    long driverFeatureSelect() {
        return driverFeatureSelect;
    }

    long queueSelect() {
        return queueSelect;
    }

    boolean featureWritten() {
        return featureWritten;
    }

    /** The device_feature word the driver read for {@code select}, if it read one in this session. */
    OptionalLong offered(long select) {
        Long v = known ? offered.get(select) : null;
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** The driver_feature word in force for {@code select} (0 after the reset until the driver writes it). */
    OptionalLong accepted(long select) {
        if (!known) return OptionalLong.empty();
        return OptionalLong.of(accepted.getOrDefault(select, 0L));
    }

    /** Whether feature {@code bit} was offered: empty when the driver did not read that word. */
    java.util.Optional<Boolean> offers(int bit) {
        OptionalLong w = offered(bit / 32);
        return w.isPresent() ? java.util.Optional.of((w.getAsLong() & (1L << (bit % 32))) != 0) : java.util.Optional.empty();
    }

    /** Whether feature {@code bit} is accepted: empty when the registers are unknown. */
    java.util.Optional<Boolean> accepts(int bit) {
        OptionalLong w = accepted(bit / 32);
        return w.isPresent() ? java.util.Optional.of((w.getAsLong() & (1L << (bit % 32))) != 0) : java.util.Optional.empty();
    }

    static boolean isStatusWrite(TransportEvent t) {
        return t.isWriteOf(CommonField.DEVICE_STATUS);
    }

    static boolean isStatusRead(TransportEvent t) {
        return t.isReadOf(CommonField.DEVICE_STATUS);
    }

    static boolean isReset(TransportEvent t) {
        return isStatusWrite(t) && t.value() == 0;
    }

    /** Queue configuration fields a driver writes to set up the selected queue. */
    static boolean isQueueSetupWrite(TransportEvent t) {
        CommonField f = t.commonField();
        return t.write() && f != null && switch (f) {
            case QUEUE_SIZE, QUEUE_DESC, QUEUE_DRIVER, QUEUE_DEVICE, QUEUE_ENABLE -> true;
            default -> false;
        };
    }

    static boolean isFeatureWrite(TransportEvent t) {
        return t.isWriteOf(CommonField.DRIVER_FEATURE) || t.isWriteOf(CommonField.DRIVER_FEATURE_SELECT);
    }

    static boolean isConfigWrite(TransportEvent t) {
        return t.write() && t.region() == TransportEvent.Region.DEVICE;
    }

    static String status(long v) {
        return String.format("0x%x (%s)", v, DeviceStatus.describe((int) v));
    }
}
