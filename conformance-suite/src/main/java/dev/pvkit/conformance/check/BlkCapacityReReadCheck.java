package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.List;
import java.util.Set;

/**
 * DRV-BLK-012: after a configuration change notification the driver re-reads capacity. The back-end's
 * announcement ({@link VhostUserEvent.ConfigChangeAnnounced}) marks when the change began; QEMU re-reads the
 * configuration and notifies the driver, whose reads of device configuration bytes 0..7 then show in the transport
 * trace. A session with no trace decides nothing, and neither does an announcement the session ends too soon after:
 * the driver is given {@link #GRACE_MICROS} (a kernel reads capacity from a work item a few milliseconds later,
 * far less even under TCG) before a missing read counts.
 */
public final class BlkCapacityReReadCheck implements Check {
    public static final String REREAD_CAPACITY = "DRV-BLK-012";
    /** virtio_blk_config.capacity: device configuration bytes [0, 8). */
    static final int CAPACITY_END = 8;
    /** How long after the announcement the session must go on before a capacity read that did not come counts. */
    static final long GRACE_MICROS = 2_000_000;

    @Override
    public Set<String> decides() {
        return Set.of(REREAD_CAPACITY);
    }

    @Override
    public String name() {
        return "blk capacity re-read";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        if (!session.hasTransportTrace()) return;
        List<Event> events = session.events();
        for (int i = 0; i < events.size(); i++) {
            if (!(events.get(i) instanceof VhostUserEvent.ConfigChangeAnnounced announced)) continue;
            TransportEvent read = capacityReadAfter(events, i);
            if (read != null) {
                findings.kept(REREAD_CAPACITY, read);
            } else if (session.endMicros() - announced.micros() >= GRACE_MICROS) {
                findings.broke(REREAD_CAPACITY, -1, announced, String.format("the device announced a configuration change"
                        + " (its capacity changed) and the driver went on for %.1f s without reading capacity (device"
                        + " config+0x0..0x7); the rule asks it to re-read capacity on a configuration change notification",
                        (session.endMicros() - announced.micros()) / 1e6));
            }
        }
    }

    /**
     * The first read of capacity after events[from]. A later announcement does not end the search: a driver may
     * take two notifications close together in one re-read.
     */
    private static TransportEvent capacityReadAfter(List<Event> events, int from) {
        for (int j = from + 1; j < events.size(); j++) {
            Event e = events.get(j);
            if (e instanceof TransportEvent t && t.region() == TransportEvent.Region.DEVICE && !t.write()
                    && t.offset() < CAPACITY_END && isBlk(t)) {
                return t;
            }
        }
        return null;
    }

    private static boolean isBlk(TransportEvent t) {
        return t.device() != null && t.device().contains("blk");
    }
}
