package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.Event;

import java.util.List;

/** Where a check reports what it found in one session. */
public interface Findings {

    /** The driver did what {@code requirement} is about, and kept the rule, at {@code at}. */
    void kept(String requirement, Event at);

    /**
     * The driver broke {@code requirement}: {@code offending} are the steps that show it (the first is the moment
     * of violation), {@code summary} says in one line what it did against what the rule asks, {@code queue} is the
     * virtqueue involved or -1.
     */
    void broke(String requirement, int queue, List<? extends Event> offending, String summary);

    default void broke(String requirement, int queue, Event offending, String summary) {
        broke(requirement, queue, List.of(offending), summary);
    }
}
