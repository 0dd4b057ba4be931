package dev.pvkit.conformance.live;

import dev.pvkit.sdk.observe.BackendObserver;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/** Records a vhost-user session's negotiation steps as text lines, in order, for assertions and failure evidence. */
final class RecordingObserver implements BackendObserver {
    private final List<String> events = new ArrayList<>();
    private volatile long acknowledged = -1;

    private synchronized void add(String e) {
        events.add(e);
    }

    synchronized List<String> events() {
        return List.copyOf(events);
    }

    /** Features of the latest SET_FEATURES, or -1. */
    long acknowledgedFeatures() {
        return acknowledged;
    }

    synchronized int size() {
        return events.size();
    }

    synchronized long count(Predicate<String> p) {
        return events.stream().filter(p).count();
    }

    /** Queue indices started at or after event number {@code from}. */
    synchronized Set<Integer> queuesStartedSince(int from) {
        Set<Integer> q = new TreeSet<>();
        for (String e : events.subList(from, events.size())) {
            if (e.startsWith("queueStarted ")) q.add(Integer.parseInt(e.substring("queueStarted ".length())));
        }
        return q;
    }

    synchronized List<String> since(int from) {
        return List.copyOf(events.subList(from, events.size()));
    }

    String dump() {
        return "--- back-end observer events ---\n" + String.join("\n", events());
    }

    @Override public void connected() { add("connected"); }
    @Override public void featuresAcknowledged(long f) { acknowledged = f; add(String.format("featuresAcknowledged 0x%x", f)); }
    @Override public void statusWritten(int s) { add("statusWritten " + s); }
    @Override public void queueStarted(int q) { add("queueStarted " + q); }
    @Override public void queueStopped(int q, long base) { add("queueStopped " + q + " base=" + base); }
    @Override public void queueEnabled(int q, boolean on) { add("queueEnabled " + q + " " + on); }
    @Override public void deviceReset(String cause) { add("deviceReset " + cause); }
    @Override public void messageRejected(String req, String rule, String detail, String answer) {
        add("messageRejected " + req + " [" + rule + "] " + detail + " -> " + answer);
    }
    @Override public void disconnected(String why) { add("disconnected " + why); }
}
