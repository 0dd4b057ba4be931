package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.observe.DriverSession;

/**
 * Whose driver a certification judges. One boot has several drivers on the same device — the firmware's
 * (SeaBIOS, OVMF) during POST, then the OS's — and a vendor certifies one of them; the others' sessions are still
 * observed and listed in the report, but their verdicts do not count.
 */
public enum DriverChoice {
    /** The OS's driver: sessions after the kernel started. The default when a kernel boots. */
    OS,
    /** The firmware's driver: sessions before a kernel started. The default when only firmware boots. */
    FIRMWARE,
    /** Every session counts. */
    ALL;

    public boolean judges(DriverSession s) {
        return switch (this) {
            case OS -> s.kind() == DriverSession.Kind.OS;
            case FIRMWARE -> s.kind() == DriverSession.Kind.FIRMWARE;
            case ALL -> true;
        };
    }
}
