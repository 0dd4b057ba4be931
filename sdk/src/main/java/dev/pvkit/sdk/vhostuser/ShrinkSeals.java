package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.NativeCallException;
import dev.pvkit.sdk.os.Syscalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns, once per session, when the front-end shares a file (memory region, dirty log, inflight area) that is not
 * sealed against shrinking. Such a file is accepted — QEMU's memory-backend-memfd seals by default, other front-ends
 * may not — but a shrink would make the back-end's next access fault ({@link MemoryFault}), which stops the ring or
 * ends the session. Used by the control thread only.
 */
final class ShrinkSeals {
    /** Logged as the session: everything a connection reports goes under one logger name. */
    private static final Logger LOG = LoggerFactory.getLogger(Session.class);

    private boolean warned;

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

    void check(Request r, String what, int fd) {
        if (warned || sealed(fd)) return;
        warned = true;
        LOG.warn("{}: the {} file is not sealed against shrinking (F_SEAL_SHRINK); if the front-end shrinks it, the "
                + "back-end's next access to it faults and stops the ring or ends the session", r.name(), what);
    }
}
