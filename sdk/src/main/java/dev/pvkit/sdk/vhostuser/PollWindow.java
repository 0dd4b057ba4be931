package dev.pvkit.sdk.vhostuser;

/**
 * How long a worker polls its idle rings before it sleeps: adaptive, as QEMU's IOThreads poll (their
 * {@code poll-max-ns}). A driver that posts again soon after the ring went idle finds the worker still
 * looking: it need not kick (a system call) and the worker need not be woken (a context switch), which at queue
 * depth 1 is most of a request's round trip. A driver that stays away longer than the maximum would only have been
 * waited for in vain, so the window shrinks to nothing and polling costs no CPU on an idle or slow guest.
 *
 * <p>The rule, applied to each idle spell (from the ring going idle to work arriving, polled for or slept through):
 * shorter than the window, keep it; longer than the maximum, halve it (below 4 µs: zero); in between, grow (from
 * 4 µs, doubling, up to the maximum). Halving rather than QEMU's default reset to zero: one late driver (a pause
 * for garbage collection, a descheduled vCPU) would otherwise end polling that was paying, and a window below the
 * driver's sleeping round trip cannot grow back. One per worker thread; not thread-safe.
 */
final class PollWindow {
    /** Where a window grows from: polling less than this is not worth the loop. */
    static final long FIRST_NANOS = 4_000;

    private final long maxNanos;
    private long nanos;

    /** {@code maxNanos} 0: never poll. */
    PollWindow(long maxNanos) {
        if (maxNanos < 0) throw new IllegalArgumentException("poll window must not be negative");
        this.maxNanos = maxNanos;
    }

    /** Whether this worker polls at all (a maximum above zero). */
    boolean enabled() {
        return maxNanos > 0;
    }

    /** The time to poll idle rings now. */
    long nanos() {
        return nanos;
    }

    /** An idle spell of {@code idleNanos} ended (work found while polling, or a wake-up from sleep). */
    void idleEnded(long idleNanos) {
        if (idleNanos <= nanos) return;
        if (idleNanos > maxNanos) {
            nanos = nanos / 2 < FIRST_NANOS ? 0 : nanos / 2;
        } else if (nanos < maxNanos) {
            nanos = nanos == 0 ? Math.min(FIRST_NANOS, maxNanos) : Math.min(nanos * 2, maxNanos);
        }
    }
}
