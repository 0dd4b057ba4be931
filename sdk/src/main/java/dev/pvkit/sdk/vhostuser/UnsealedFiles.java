package dev.pvkit.sdk.vhostuser;

/**
 * What the back-end does with a file the front-end shares (memory region, dirty log, inflight area) that is not
 * sealed against shrinking ({@code F_SEAL_SHRINK}).
 *
 * <p>Why it matters: a back-end maps these files and reads and writes them from Java. If the front-end shrinks one
 * afterwards, the back-end's next access to the lost pages raises SIGBUS. HotSpot does not report that at the
 * access: it marks the thread and throws an {@code InternalError} at some later point where the thread enters the
 * VM — an allocation, a lock, a call into JNA — possibly inside a library holding a lock of its own, whose state it
 * then corrupts. No catch can contain that reliably, so PVKit keeps the fault from happening: by default it only maps
 * files that cannot shrink.
 */
public enum UnsealedFiles {
    /**
     * The default. A file the front-end did not seal is sealed by the back-end ({@code F_ADD_SEALS F_SEAL_SHRINK},
     * possible for a memfd that is not {@code F_SEAL_SEAL}ed; growing stays allowed); a file that cannot be sealed
     * (a tmpfs or hugetlbfs file opened by path, a regular file) is refused as the spec's error path for a message
     * the back-end cannot act on: a failure status with REPLY_ACK, else the connection closes.
     */
    SEAL,
    /**
     * An explicit opt-in for a trusted front-end whose memory is a file that cannot be sealed (QEMU's
     * {@code memory-backend-file} on {@code /dev/shm} or hugetlbfs): such files are sealed where possible and otherwise
     * accepted with a warning. If the front-end then shrinks one, PVKit can no longer promise to contain the fault: it
     * stops the ring or ends the session where the fault surfaces in its own code, but the fault may surface anywhere.
     */
    ACCEPT_AT_RISK;

    /** The rule a refused file breaks, as the rejection log line and {@code BackendObserver.messageRejected} name it. */
    public static final VhostUserRule RULE = VhostUserRule.UNSEALED_FILE;
    /** {@link #RULE}'s short name, for observers that match the text. */
    public static final String REFUSAL_RULE = RULE.ruleName();
    /** The PVKit requirement behind the rule: a back-end maps no shared file the front-end can still shrink. */
    public static final String REQUIREMENT = RULE.requirement();
}
