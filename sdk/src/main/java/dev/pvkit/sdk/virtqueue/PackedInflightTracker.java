package dev.pvkit.sdk.virtqueue;

import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * Where a packed queue records the lists it took and has not yet returned, in memory that outlives the back-end
 * process (vhost-user's inflight area). Unlike a split ring, a packed ring is no record of a list in flight: the
 * device writes used descriptors into the ring slots at its used position, which may be the slots of a list still
 * in flight. So the tracker keeps a copy of each list's ring descriptors, and after a restart the queue resubmits
 * from those copies (an indirect table is still read from guest memory).
 *
 * <p>A list is identified by a handle the tracker returns when it is recorded. The queue calls
 * {@link #completing} before it writes a list's used descriptor and {@link #completed} after its flags are stored,
 * so a crash in between can be resolved from the ring.
 */
public interface PackedInflightTracker {

    /**
     * A list in flight at a restart: its handle, the ring slot it started at (for reports), the ring slots it holds,
     * its buffer id, whether it was a rejected list only waiting for its empty used descriptor, and (unless skipped)
     * the {@code slots} ring descriptors as the device read them.
     */
    record Entry(int handle, int slot, int slots, int id, boolean skipped, long[] addr, int[] len, int[] flags) {
    }

    /** Where the queue resumes: the used position ({@code off_wrap} form) and the lists to resubmit, oldest first. */
    record Recovery(int usedOffWrap, List<Entry> inflight) {
    }

    /**
     * Reconciles the record with the ring after a (re)start. Returns null when there is no usable record for this
     * queue; the tracker then starts a fresh one at {@code usedOffWrap} (the position the queue was given).
     * {@code flagsAt} reads the flags of ring slot {@code i}, so a used descriptor written just before a crash can be
     * recognised.
     */
    Recovery recover(int usedOffWrap, IntUnaryOperator flagsAt);

    /** Takes the record as current (the queue was only rebuilt, with nothing in flight) at {@code usedOffWrap}. */
    void attach(int usedOffWrap);

    /**
     * Records a list of {@code slots} descriptors taken from ring slot {@code slot} on, descriptor {@code i} as read
     * ({@code addr[i]}, {@code len[i]}, {@code flags[i]}); returns its handle, or -1 when it could not be recorded.
     */
    int taken(int slot, int slots, int id, long[] addr, int[] len, int[] flags);

    /** Records a rejected list holding {@code slots} ring slots that will be returned empty; handle or -1. */
    int skipped(int slot, int slots, int id);

    /** The used descriptor of list {@code handle} is about to be written at {@code usedOffWrap}. */
    void completing(int handle, int usedOffWrap);

    /** The used descriptor of list {@code handle} is stored; the used position is now {@code usedOffWrap}. */
    void completed(int handle, int usedOffWrap);
}
