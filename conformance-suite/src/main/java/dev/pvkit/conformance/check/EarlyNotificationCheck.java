package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DeviceStatus;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.TransportEvent;

import java.util.Set;

/**
 * No available-buffer notification before DRIVER_OK [DRV-INIT-014]. Behind QEMU the back-end gets no kick eventfd
 * before DRIVER_OK, so the ring source cannot see an early notification; but QEMU starts its ioeventfds only when
 * DRIVER_OK is written, so a notify write before it reaches QEMU's own handler and shows in the register trace as a
 * write to the {@code virtio-pci-notify} region. Judged only in traced sessions that began with a reset (status
 * known); a session that reaches DRIVER_OK with no such write kept the rule.
 */
public final class EarlyNotificationCheck implements Check {
    public static final String NO_NOTIFY_BEFORE_DRIVER_OK = "DRV-INIT-014";

    @Override
    public Set<String> decides() {
        return Set.of(NO_NOTIFY_BEFORE_DRIVER_OK);
    }

    @Override
    public String name() {
        return "notification before DRIVER_OK";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        if (!session.startedByReset() || !session.hasTransportTrace()) return;
        boolean driverOk = false;
        for (TransportEvent t : session.events(TransportEvent.class)) {
            if (!t.write()) continue;
            if (PciRegisters.isStatusWrite(t)) {
                boolean now = (t.value() & DeviceStatus.DRIVER_OK) != 0;
                if (now && !driverOk) findings.kept(NO_NOTIFY_BEFORE_DRIVER_OK, t);
                driverOk = now;
            } else if (t.region() == TransportEvent.Region.NOTIFY && !driverOk) {
                findings.broke(NO_NOTIFY_BEFORE_DRIVER_OK, (int) t.value(), t, String.format("wrote 0x%x to the notify"
                        + " structure (a notification for queue %d) before setting DRIVER_OK; the rule forbids"
                        + " notifications before DRIVER_OK", t.value(), t.value()));
                return;
            }
        }
    }
}
