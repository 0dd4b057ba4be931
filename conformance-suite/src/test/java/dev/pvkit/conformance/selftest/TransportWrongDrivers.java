package dev.pvkit.conformance.selftest;

import java.util.List;

/** Wrong (and correct) drivers for the transport checks. */
final class TransportWrongDrivers {
    private TransportWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of();
    }
}
