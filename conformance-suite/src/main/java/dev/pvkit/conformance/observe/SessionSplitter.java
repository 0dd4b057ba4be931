package dev.pvkit.conformance.observe;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts one ordered event stream into driver sessions. A session starts at the driver's reset: a write of 0 to
 * device_status when QEMU's transport trace is in the stream, otherwise a vhost-user reset (the Java front-end,
 * which has no register trace). Events before the first reset form a session only when the driver did something
 * there (a driver that never resets); the vhost-user set-up QEMU does at start-up on its own does not count.
 * A session is the OS's when the guest's kernel banner came before its start and after the last restart.
 */
public final class SessionSplitter {
    private static final java.util.Set<String> RING_SETUP = java.util.Set.of("SET_VRING_NUM", "SET_VRING_ADDR");

    private SessionSplitter() {
    }

    public static List<DriverSession> split(List<Event> ordered) {
        boolean traced = ordered.stream().anyMatch(e -> e instanceof TransportEvent);
        List<DriverSession> sessions = new ArrayList<>();
        List<Event> current = new ArrayList<>();
        boolean currentByReset = false;
        DriverSession.Kind kind = DriverSession.Kind.FIRMWARE;
        DriverSession.Kind currentKind = kind;
        for (Event e : ordered) {
            if (e instanceof GuestEvent g) {
                if (g.milestone() == GuestEvent.Milestone.KERNEL_STARTED) kind = DriverSession.Kind.OS;
                else if (g.milestone() == GuestEvent.Milestone.RESTARTING) kind = DriverSession.Kind.FIRMWARE;
            }
            if (isReset(e, traced)) {
                close(sessions, current, currentByReset, currentKind);
                current = new ArrayList<>();
                currentByReset = true;
                currentKind = kind;
            }
            current.add(e);
        }
        close(sessions, current, currentByReset, currentKind);
        return sessions;
    }

    private static boolean isReset(Event e, boolean traced) {
        if (traced) return e instanceof TransportEvent t && t.isWriteOf(CommonField.DEVICE_STATUS) && t.value() == 0;
        return e instanceof VhostUserEvent.DeviceReset;
    }

    /**
     * Ends a stretch of events: a session of its own when the driver wrote something or used a ring there;
     * otherwise (a reset followed only by reads, such as waiting for status to read 0) the tail of the previous
     * session, whose reset it finishes.
     */
    private static void close(List<DriverSession> sessions, List<Event> events, boolean byReset, DriverSession.Kind kind) {
        if (events.isEmpty()) return;
        if (drivenByDriver(events, byReset)) {
            sessions.add(new DriverSession(sessions.size() + 1, kind, byReset, events));
        } else if (byReset && !sessions.isEmpty()) {
            DriverSession last = sessions.remove(sessions.size() - 1);
            List<Event> joined = new ArrayList<>(last.events());
            joined.addAll(events);
            sessions.add(new DriverSession(last.ordinal(), last.kind(), last.startedByReset(), joined));
        }
    }

    /** Whether the driver wrote something in these events beyond the reset that opened them, or used a ring. */
    private static boolean drivenByDriver(List<Event> events, boolean byReset) {
        int skip = byReset ? 1 : 0;
        for (Event e : events.subList(Math.min(skip, events.size()), events.size())) {
            if (e instanceof TransportEvent t && t.write() && !(t.isWriteOf(CommonField.DEVICE_STATUS) && t.value() == 0)) return true;
            if (e instanceof RingEvent) return true;
            if (byReset && e instanceof VhostUserEvent.QueueStarted) return true;
            // Without a register trace, the ring set-up QEMU (or a front-end) forwards is the driver's work too,
            // even when the back-end refused it and no ring ever started.
            if (byReset && e instanceof VhostUserEvent.Message m && RING_SETUP.contains(m.request())) return true;
            if (byReset && e instanceof VhostUserEvent.Refused r && RING_SETUP.contains(r.request())) return true;
        }
        return false;
    }
}
