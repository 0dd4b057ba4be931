package dev.pvkit.conformance.guest;

import java.util.OptionalInt;

/**
 * How a QEMU run ended, read from its exit status.
 * <ul>
 *   <li>0: the guest powered off (with {@code -no-reboot} also a guest reboot, or a panic under {@code panic=-1}).</li>
 *   <li>odd, 3..127: the guest wrote {@code code} (1..63) to the {@code isa-debug-exit} device of the default
 *       template, and QEMU exited with {@code (code << 1) | 1} — the agent's {@code EXIT <code>}.</li>
 *   <li>anything else is a failure: 1 is QEMU's own error status (and also what code 0 would give, so code 0 is
 *       not used); 128 and above is how Java reports a process ended by a signal (128 + signal number), and
 *       {@code killed} says the harness killed it (time limit, {@link QemuInstance#close()}).</li>
 * </ul>
 *
 * @param status QEMU's exit status as {@link Process#exitValue()} gives it
 * @param killed whether the harness killed QEMU (hard time limit or close while running)
 */
public record QemuExit(int status, boolean killed) {
    /** The largest code a guest can pass through isa-debug-exit without colliding with signal statuses. */
    public static final int MAX_GUEST_CODE = 63;

    /** The status QEMU exits with when the guest writes {@code code} to isa-debug-exit. */
    public static int statusOf(int guestCode) {
        if (guestCode < 1 || guestCode > MAX_GUEST_CODE) {
            throw new IllegalArgumentException("guest exit codes are 1.." + MAX_GUEST_CODE + ": " + guestCode);
        }
        return (guestCode << 1) | 1;
    }

    /** The guest powered off. */
    public boolean poweredOff() {
        return status == 0 && !killed;
    }

    /** The code the guest passed through isa-debug-exit, if that is what ended QEMU. */
    public OptionalInt guestCode() {
        if (killed || (status & 1) == 0 || status < 3 || status > statusOf(MAX_GUEST_CODE)) return OptionalInt.empty();
        return OptionalInt.of(status >> 1);
    }

    @Override
    public String toString() {
        if (killed) return "killed by the harness (status " + status + ")";
        if (status == 0) return "guest powered off (status 0)";
        OptionalInt code = guestCode();
        if (code.isPresent()) return "guest exit code " + code.getAsInt() + " via isa-debug-exit (status " + status + ")";
        if (status >= 128) return "ended by signal " + (status - 128) + " (status " + status + ")";
        return "QEMU failed (status " + status + ")";
    }
}
