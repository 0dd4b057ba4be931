package dev.pvkit.conformance.observe;

import java.util.List;
import java.util.OptionalLong;

/**
 * The events of one driver session: from a device reset to the next one. A guest has several in one boot (SeaBIOS
 * probes the disk, then the OS driver starts at its own reset; a rebind or a reboot starts more).
 *
 * @param ordinal        1, 2, … in boot order
 * @param kind           which software drove the device: the firmware, or the OS after its kernel started
 * @param startedByReset false for a session whose driver touched the device before ever resetting it
 * @param events         every event of the session in time order, the reset first when there is one
 */
public record DriverSession(int ordinal, Kind kind, boolean startedByReset, List<Event> events) {

    public enum Kind { FIRMWARE, OS }

    public DriverSession {
        events = List.copyOf(events);
    }

    /** E.g. "session 2 (OS)", "session 1 (firmware)". */
    public String label() {
        return "session " + ordinal + " (" + (kind == Kind.OS ? "OS" : "firmware") + ")";
    }

    public long startMicros() {
        return events.isEmpty() ? 0 : events.get(0).micros();
    }

    public long endMicros() {
        return events.isEmpty() ? 0 : events.get(events.size() - 1).micros();
    }

    public <T extends Event> List<T> events(Class<T> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Whether the driver's register accesses were traced in this session (QEMU's trace was on). */
    public boolean hasTransportTrace() {
        return events.stream().anyMatch(e -> e instanceof TransportEvent);
    }

    /**
     * The features the driver negotiated in this session: the latest acknowledged over vhost-user (QEMU forwards
     * them when the driver sets DRIVER_OK), or empty when the session never got that far.
     */
    public OptionalLong negotiatedFeatures() {
        long f = -1;
        boolean seen = false;
        for (Event e : events) {
            if (e instanceof VhostUserEvent.FeaturesAcked a) {
                f = a.features();
                seen = true;
            }
        }
        return seen ? OptionalLong.of(f) : OptionalLong.empty();
    }
}
