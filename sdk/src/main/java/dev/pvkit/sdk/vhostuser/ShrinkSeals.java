package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;

/**
 * Makes sure a file the front-end shares cannot shrink before the back-end maps it (see {@link UnsealedFiles} for
 * why): a file already sealed with {@code F_SEAL_SHRINK} passes; one that accepts seals is sealed here; one that
 * cannot be sealed is refused, or accepted with a warning under {@link UnsealedFiles#ACCEPT_AT_RISK}. Seals are
 * never removed, so what passes here stays unshrinkable for as long as any mapping of it lives. Used by the control
 * thread only; one log line per session and kind of file.
 */
final class ShrinkSeals {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    private final UnsealedFiles policy;
    private final EnumSet<Outcome> logged = EnumSet.noneOf(Outcome.class);

    private enum Outcome { SEALED_HERE, ACCEPTED_AT_RISK }

    ShrinkSeals(UnsealedFiles policy) {
        this.policy = policy;
    }

    /**
     * True when {@code fd}'s file is sealed against shrinking; false also for a bad descriptor, which the mapping's
     * own checks report.
     */
    static boolean sealed(int fd) {
        try {
            return (Syscalls.seals(fd) & Syscalls.F_SEAL_SHRINK) != 0;
        } catch (NativeCallException e) {
            return false;
        }
    }

    /**
     * Called before {@code fd}'s size is checked and the file mapped: afterwards the file cannot shrink, unless the
     * policy accepts it at risk. Throws a {@link ProtocolViolation} (rule {@link VhostUserRule#UNSEALED_FILE}) for a file it refuses.
     */
    void protect(FrontendRequest r, String what, int fd) {
        if (sealed(fd)) return;
        String why;
        try {
            Syscalls.addSeals(fd, Syscalls.F_SEAL_SHRINK);
            if (logged.add(Outcome.SEALED_HERE)) {
                LOG.info("{}: sealed the {} file against shrinking (F_SEAL_SHRINK), which the front-end had not: "
                        + "a shrink under the back-end's mapping would make it fault", r.name(), what);
            }
            return;
        } catch (NativeCallException e) {
            why = e.getMessage(); // EPERM: already F_SEAL_SEAL'ed or not writable; EINVAL: not a memfd
        }
        if (policy == UnsealedFiles.ACCEPT_AT_RISK) {
            if (logged.add(Outcome.ACCEPTED_AT_RISK)) {
                LOG.warn("{}: the {} file is not sealed against shrinking and cannot be sealed ({}); accepted at risk "
                        + "(unsealed files allowed): if the front-end shrinks it, the back-end's next access to it faults",
                        r.name(), what, why);
            }
            return;
        }
        throw new ProtocolViolation(r.name(), VhostUserRule.UNSEALED_FILE, String.format("the %s file is not sealed against shrinking (F_SEAL_SHRINK) "
                + "and cannot be sealed (%s): a shrink would fault the back-end's mapping; share a memfd (QEMU: "
                + "memory-backend-memfd) or allow unsealed files explicitly [%s]", what, why, VhostUserRule.UNSEALED_FILE.requirement()), false);
    }
}
