package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.QemuExit;

/**
 * What a guest without the agent says of its own run through the exit device (I/O port 0xf4): writing 0, or
 * powering off, means its own checks passed; writing a code from 1 to 63 means they failed, with that code. Anything
 * else (QEMU killed at a time limit, QEMU failing) is no result. A vendor's test kernel or self-checking firmware
 * uses it to take part in the generated-behaviour search.
 */
enum GuestResult {
    PASSED, FAILED, NONE;

    /** QEMU's exit status when the guest wrote 0 to the exit device: {@code (0 << 1) | 1}. */
    static final int WROTE_ZERO = 1;

    /**
     * The result {@code exit} carries. QEMU also exits with status 1 when it fails on its own (a bad argument, a
     * device it cannot create), which would read as "wrote 0": {@code qemuLog}, QEMU's own output, tells the two apart,
     * since QEMU names itself on every error line ("qemu-system-x86_64: ..."); warnings do not count.
     */
    static GuestResult of(QemuExit exit, java.nio.file.Path qemuLog) {
        if (exit == null || exit.killed()) return NONE;
        if (exit.poweredOff()) return PASSED;
        if (exit.status() == WROTE_ZERO) return qemuFailed(qemuLog) ? NONE : PASSED;
        return exit.guestCode().isPresent() ? FAILED : NONE;
    }

    /** How the guest's result reads in a report. */
    static String describe(GuestResult r, QemuExit exit) {
        return switch (r) {
            case PASSED -> exit.poweredOff() ? "passed (it powered off)" : "passed (it wrote 0 to the exit device)";
            case FAILED -> "FAILED: it wrote code " + exit.guestCode().getAsInt() + " to the exit device";
            case NONE -> "none (" + exit + ")";
        };
    }

    private static boolean qemuFailed(java.nio.file.Path qemuLog) {
        try {
            return java.nio.file.Files.readAllLines(qemuLog, java.nio.charset.StandardCharsets.ISO_8859_1).stream()
                    .anyMatch(l -> l.contains("qemu-system-x86_64:") && !l.contains("warning:"));
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
