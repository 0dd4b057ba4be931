package dev.pvkit.conformance.observe;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects events from every source as they arrive (from several threads) and hands them back as one stream in
 * time order. Events with the same timestamp keep their arrival order, so one source's order is never changed.
 */
public final class EventLog {
    private record Arrival(long seq, Event event) {
    }

    private final List<Arrival> arrivals = new ArrayList<>();
    private long seq;

    /** The current host time in the events' unit (microseconds since the epoch). */
    public static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    public synchronized void add(Event e) {
        arrivals.add(new Arrival(seq++, e));
    }

    public synchronized int size() {
        return arrivals.size();
    }

    /** Every event so far, ordered by time, then by arrival. */
    public synchronized List<Event> ordered() {
        return arrivals.stream().sorted(Comparator.comparingLong((Arrival a) -> a.event.micros()).thenComparingLong(Arrival::seq))
                .map(Arrival::event).toList();
    }

    public static EventLog of(List<? extends Event> events) {
        EventLog log = new EventLog();
        events.forEach(log::add);
        return log;
    }

    /** Copies of the events so far, in arrival order (for tests). */
    public synchronized List<Event> arrived() {
        List<Event> out = new ArrayList<>(arrivals.size());
        for (Arrival a : arrivals) out.add(a.event);
        return out;
    }
}
