package dev.pvkit.conformance.selftest;

import dev.pvkit.conformance.observe.Event;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * A deliberately wrong driver for the self-test: it breaks exactly one requirement ({@code breaks}, or null for a
 * correct driver that must come out clean). {@code run} drives it and returns everything observed, in time order.
 */
public record WrongDriver(String name, String breaks, Callable<List<Event>> run) {

    public static WrongDriver breaking(String requirement, String name, Callable<List<Event>> run) {
        return new WrongDriver(name, requirement, run);
    }

    public static WrongDriver correct(String name, Callable<List<Event>> run) {
        return new WrongDriver(name, null, run);
    }

    @Override
    public String toString() {
        return breaks == null ? "correct: " + name : breaks + ": " + name;
    }
}
