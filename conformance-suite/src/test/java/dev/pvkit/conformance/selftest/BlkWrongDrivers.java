package dev.pvkit.conformance.selftest;

import java.util.List;

/** Wrong (and correct) drivers for the blk checks. */
final class BlkWrongDrivers {
    private BlkWrongDrivers() {
    }

    static List<WrongDriver> all() {
        return List.of();
    }
}
