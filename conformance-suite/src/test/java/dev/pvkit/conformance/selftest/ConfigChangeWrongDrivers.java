package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.TransportEvent.Region;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.ArrayList;
import java.util.List;

import static dev.pvkit.conformance.selftest.WrongDriver.breaking;
import static dev.pvkit.conformance.selftest.WrongDriver.correct;

/**
 * Drivers meeting a capacity change (DRV-BLK-012), made from the recorded Linux 6.1 trace of
 * {@link TransportWrongDrivers}: after Linux's first DRIVER_OK the back-end announces a configuration change, and
 * the driver either re-reads capacity as Linux does (generation, low and high half, generation) or does not. The
 * session then goes on for {@link #AFTER_MICROS}, past the check's grace, as the recorded workload did.
 */
final class ConfigChangeWrongDrivers {
    /** How long the driver goes on after the announcement before the next recorded step. */
    static final long AFTER_MICROS = 3_000_000;
    private static final String DEVICE = "virtio-blk";

    private ConfigChangeWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of(
                correct("Linux 6.1 re-reads capacity (generation-bracketed) after a configuration change", () -> withChange(true)),
                breaking("DRV-BLK-012", "ignores a configuration change: never re-reads capacity", () -> withChange(false)));
    }

    private static List<Event> withChange(boolean reread) {
        List<Event> linux = TransportWrongDrivers.linux(e -> e);
        int at = -1;
        for (int i = 0; i < linux.size(); i++) {
            if (linux.get(i) instanceof TransportEvent t && TransportWrongDrivers.statusWrite(0xf).test(t)) {
                at = i + 1;
                break;
            }
        }
        long t0 = linux.get(at - 1).micros() + 1;
        List<Event> change = new ArrayList<>();
        change.add(new VhostUserEvent.ConfigChangeAnnounced(t0));
        if (reread) {
            change.add(common(t0 + 100, CommonField.CONFIG_GENERATION, 1));
            change.add(new TransportEvent(t0 + 101, Region.DEVICE, false, 0, 4, 0x28000, DEVICE));
            change.add(new TransportEvent(t0 + 102, Region.DEVICE, false, 4, 4, 0, DEVICE));
            change.add(common(t0 + 103, CommonField.CONFIG_GENERATION, 1));
        }
        List<Event> out = new ArrayList<>(linux.subList(0, at));
        out.addAll(change);
        // The recorded steps after DRIVER_OK, moved past the announcement's grace.
        for (Event e : linux.subList(at, linux.size())) out.add(later((TransportEvent) e, AFTER_MICROS + 200));
        return out;
    }

    private static TransportEvent common(long micros, CommonField f, long value) {
        return new TransportEvent(micros, Region.COMMON, false, f.offset(), Math.min(4, f.width()), value, DEVICE);
    }

    private static TransportEvent later(TransportEvent t, long by) {
        return new TransportEvent(t.micros() + by, t.region(), t.write(), t.offset(), t.size(), t.value(), t.device());
    }
}
