package dev.pvkit.conformance.observe;

import dev.pvkit.sdk.xen.XenbusState;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a Xen device's event stream into driver sessions: a session starts each time the back-end writes InitWait
 * (the device offered afresh), and holds the front-end's connection and use until the next one.
 */
public final class XenSessions {
    private XenSessions() {
    }

    public static List<DriverSession> split(List<Event> ordered) {
        return split(ordered, 1);
    }

    /** The sessions of several devices' streams, each device's in order, numbered on from one device to the next. */
    public static List<DriverSession> splitDevices(List<List<Event>> devices) {
        List<DriverSession> all = new ArrayList<>();
        for (List<Event> d : devices) all.addAll(split(d, all.size() + 1));
        return all;
    }

    private static List<DriverSession> split(List<Event> ordered, int first) {
        List<DriverSession> sessions = new ArrayList<>();
        List<Event> current = new ArrayList<>();
        for (Event e : ordered) {
            if (e instanceof XenEvent.BackendState b && b.state() == XenbusState.INIT_WAIT && !current.isEmpty()) {
                sessions.add(new DriverSession(first + sessions.size(), DriverSession.Kind.OS, true, current));
                current = new ArrayList<>();
            }
            current.add(e);
        }
        if (!current.isEmpty()) sessions.add(new DriverSession(first + sessions.size(), DriverSession.Kind.OS, true, current));
        return sessions;
    }
}
