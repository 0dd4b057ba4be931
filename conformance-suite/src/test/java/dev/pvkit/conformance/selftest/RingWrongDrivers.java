package dev.pvkit.conformance.selftest;

import java.util.List;

/** Wrong (and correct) drivers for the ring checks. */
final class RingWrongDrivers {
    private RingWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of();
    }
}
