package dev.pvkit.sdk.device;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtqueue.Chain;

/**
 * One request a device is serving: a validated chain the driver made available, which the device gives back by
 * calling {@link #complete} exactly once, from any thread, now or later. Until then the chain is the device's; the
 * SDK publishes the completion on the ring's own worker thread, batched with others that arrived meanwhile.
 *
 * <p>A request the device never completes holds its ring: when the ring stops (GET_VRING_BASE, a reset, a memory
 * map change, the connection closing) the SDK waits a bounded time for the device's outstanding requests, then
 * cancels the rest and says how many in one log line. From cancellation on ({@link #isCancelled()}), the device
 * must not touch the request's buffers: the guest memory behind them may be unmapped.
 */
public interface Request {

    /** The queue the chain came from. */
    int queue();

    /** The validated chain: its readable and writable segments. */
    Chain chain();

    /** The guest memory the chain's segments lie in. */
    GuestMemory memory();

    /** The chain's device-readable buffers as one range, read in place (a header, then data to move without a copy). */
    default ReadableBuffers readable() {
        return ReadableBuffers.of(memory(), chain());
    }

    /**
     * The chain's device-writable buffers as one range, written in place; a trailing status byte is
     * {@code writable().writeU8(writable().length() - 1, status)}.
     */
    default WritableBuffers writable() {
        return WritableBuffers.of(memory(), chain());
    }

    /**
     * Gives the chain back with {@code written} bytes written into its writable segments (clamped to
     * 0..{@link Chain#writableBytes()}). The first call wins; a second one, or one after cancellation, changes
     * nothing, is logged, and returns false.
     */
    boolean complete(long written);

    /** True once the ring stopped before the device completed this request: its completion would be dropped. */
    boolean isCancelled();
}
