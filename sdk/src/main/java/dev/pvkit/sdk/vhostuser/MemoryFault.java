package dev.pvkit.sdk.vhostuser;

/**
 * HotSpot's report of a SIGBUS (or SIGSEGV) in an Unsafe or direct-buffer access: an {@link InternalError} thrown,
 * instead of a crash, not at the faulting access but wherever the thread next enters the VM — possibly inside a
 * library's lock. By default no mapped file can shrink ({@link UnsealedFiles}), so this cannot happen; the catches
 * that use this class are a best effort for files accepted at risk. Guest memory, the dirty log and the inflight area are files
 * a front-end shared and this process mapped; the usual cause is such a file shrunk after it was shared (a memfd
 * not sealed with F_SEAL_SHRINK), so its tail pages are gone. Any other InternalError is a JVM bug: not ours to catch.
 */
final class MemoryFault {
    private MemoryFault() {
    }

    /** True for the unsafe-access fault only (JDK 17 words it "a fault occurred in a [recent] unsafe memory access ..."). */
    static boolean is(InternalError e) {
        return e.getMessage() != null && e.getMessage().contains("unsafe memory access");
    }

    /** One line for the log: what happened and its likely cause. */
    static String describe(InternalError e) {
        return "memory fault (" + e.getMessage() + "): the front-end most likely shrank a memory file after sharing it";
    }
}
