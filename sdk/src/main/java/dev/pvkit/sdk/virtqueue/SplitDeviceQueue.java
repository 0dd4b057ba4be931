package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/**
 * The device side of a split virtqueue (PVKit spec §6).
 *
 * <p>Ordering: {@code avail.idx} is read with acquire before any ring entry or descriptor it exposes
 * [DEV-SPLIT-029]; used elements are written before {@code used.idx} is stored with release [DEV-SPLIT-015,
 * DEV-SPLIT-030]; a full fence separates that store from reading {@code used_event} or the available flags.
 * The device never writes the descriptor table or the available ring.
 */
public final class SplitDeviceQueue extends RingQueue {

    /** The largest written length a used element can carry. */
    static final long MAX_USED_LEN = 0xffff_ffffL;

    private final SplitRing ring;
    private final int mask;
    private final int[] visited;
    private int walkStamp;

    private int lastAvail;       // next available-ring index to take (free-running u16)
    private int lastSeenAvail;   // avail.idx at the last read
    private int usedIdx;         // next used-ring index to write
    private int publishedUsed;   // used.idx at the last publish
    private boolean notificationsEnabled = true;
    private InflightTracker inflight;
    private final java.util.ArrayDeque<Integer> resubmit = new java.util.ArrayDeque<>();
    private int[] unpublished = new int[8];
    private int unpublishedCount;

    public SplitDeviceQueue(GuestMemory memory, QueueConfig config) {
        super(memory, config);
        int q = config.size();
        if (q < 1 || q > QueueConfig.MAX_SIZE || Integer.bitCount(q) != 1) {
            throw new QueueSetupException("queue " + config.index() + ": split queue size " + q + " is not a power of two in 1..32768");
        }
        checkArea(memory, config, "descriptor table", config.descriptors(), SplitRing.descTableBytes(q), SplitRing.DESC_ALIGN);
        checkArea(memory, config, "available ring", config.driverArea(), SplitRing.availBytes(q), SplitRing.AVAIL_ALIGN);
        checkArea(memory, config, "used ring", config.deviceArea(), SplitRing.usedBytes(q), SplitRing.USED_ALIGN);
        this.ring = new SplitRing(q, config.descriptors(), config.driverArea(), config.deviceArea());
        this.mask = q - 1;
        this.visited = new int[q];
        this.lastAvail = (int) (config.base() & 0xffff);
        this.lastSeenAvail = lastAvail;
        // The used index is the ring's own: after a reconnect the driver's view of it is the truth.
        this.usedIdx = memory.readLe16(ring.usedIdx()) & 0xffff;
        this.publishedUsed = usedIdx;
        if (config.base() == 0) {
            observer.splitRingAtStart(config.index(), memory.readLe16(ring.usedFlags()) & 0xffff, usedIdx,
                    memory.readLe16(ring.availIdx()) & 0xffff);
        }
    }

    /**
     * Records taken and returned chains in {@code tracker} from now on, after reconciling it with the ring: chains it
     * still holds are handed out again by {@link #poll()} before any new ones, and the available position resumes
     * right after them (every entry taken so far is either used or in flight). Call before the first poll.
     */
    public void trackInflight(InflightTracker tracker) {
        trackInflight(tracker, true);
    }

    /**
     * As {@link #trackInflight(InflightTracker)}; with {@code recover} false the record is taken as current (the
     * queue was only rebuilt, e.g. on a new memory map, with nothing in flight) and only future steps are recorded.
     */
    public void trackInflight(InflightTracker tracker, boolean recover) {
        if (!recover) {
            inflight = tracker;
            return;
        }
        List<Integer> pending = tracker.recover(usedIdx, i -> memory.readLe32(ring.usedRing(i & mask)));
        for (int head : pending) {
            if (head >= 0 && head < config.size()) resubmit.add(head);
        }
        lastAvail = (usedIdx + resubmit.size()) & 0xffff;
        lastSeenAvail = lastAvail;
        inflight = tracker;
    }

    /**
     * Takes over what {@code previous} — this ring's queue before it was rebuilt on a new memory map — still had to
     * hand out again after a recovery: those chains are taken already (the base resumes after them), so a rebuilt
     * queue that dropped them would never complete them.
     */
    public void takeResubmissions(SplitDeviceQueue previous) {
        resubmit.addAll(previous.resubmit);
        previous.resubmit.clear();
    }

    @Override
    public Chain poll() {
        while (brokenBy == null && !resubmit.isEmpty()) {
            Chain chain = walk(resubmit.poll());
            if (chain != null) return chain;
        }
        while (brokenBy == null) {
            int availIdx = memory.readLe16Acquire(ring.availIdx()) & 0xffff;
            if (availIdx != lastSeenAvail) {
                observer.availIndexRead(index(), lastSeenAvail, availIdx);
                lastSeenAvail = availIdx;
                readSuppression();
            }
            int pending = (availIdx - lastAvail) & 0xffff;
            if (pending == 0) return null;
            if (pending > config.size()) {
                builder.start(-1);
                ChainError e = builder.error(ChainRule.AVAIL_INDEX_JUMP, -1, false, 0, 0, 0,
                        "avail.idx " + availIdx + " is " + pending + " entries past the device's " + lastAvail
                                + ", more than the queue size " + config.size());
                // Which entries are real is unknowable, so no reaction short of stopping is safe.
                observer.chainRejected(index(), e, Reaction.NEEDS_RESET);
                brokenBy = e;
                return null;
            }
            int head = memory.readLe16(ring.availRing(lastAvail & mask)) & 0xffff;
            lastAvail = (lastAvail + 1) & 0xffff;
            if (config.eventIdx() && notificationsEnabled) {
                memory.writeLe16(ring.availEvent(), (short) lastAvail);
            }
            Chain chain = walk(head);
            if (chain != null) return chain;
        }
        return null;
    }

    /**
     * Reads {@code avail.flags} and {@code used_event} as they stand, for the observer (reported on change); without
     * an observer nothing would use them, so they are not read.
     */
    private void readSuppression() {
        if (observer == QueueObserver.NONE) return;
        suppressionRead(memory.readLe16(ring.availFlags()) & 0xffff, memory.readLe16(ring.usedEvent()) & 0xffff);
    }

    /** Walks the chain at {@code head}; returns it, or null after handling a rejection (caller polls on). */
    private Chain walk(int head) {
        builder.start(head);
        if (head >= config.size()) {
            ChainError e = builder.error(ChainRule.HEAD_OUT_OF_RANGE, head, false, 0, 0, 0,
                    "head index " + head + " is not below the queue size " + config.size());
            reject(e, -1);
            return null;
        }
        if (++walkStamp == 0) { // stamp wrapped: clear so stale marks cannot fake a loop
            java.util.Arrays.fill(visited, 0);
            walkStamp = 1;
        }
        int q = config.size();
        int hardLimit = Math.max(q, policy.hardChainLimit());
        long table = ring.descriptors();
        long tableLength = q;
        boolean inIndirect = false;
        int indirectSteps = 0;
        int idx = head;
        int buffers = 0;
        boolean tooLongReported = false;
        while (true) {
            if (!inIndirect) {
                if (visited[idx] == walkStamp) {
                    reject(builder.error(ChainRule.LOOP, idx, false, 0, 0, 0, "descriptor " + idx + " reached twice"), head);
                    return null;
                }
                visited[idx] = walkStamp;
            } else if (++indirectSteps > tableLength) {
                reject(builder.error(ChainRule.LOOP, idx, true, 0, 0, 0, "indirect table of " + tableLength
                        + " entries walked more than " + tableLength + " steps"), head);
                return null;
            }
            long d = table + (long) SplitRing.DESC_SIZE * idx;
            descriptorsRead++;
            long addr = memory.readLe64(d);
            long rest = memory.readLe64(d + 8); // len, flags and next are adjacent: one load reads the three
            int len = (int) rest;
            int flags = (int) (rest >>> 32) & 0xffff;
            int next = (int) (rest >>> 48);

            if ((flags & SplitRing.F_INDIRECT) != 0) {
                if (inIndirect) {
                    reject(builder.error(ChainRule.NESTED_INDIRECT, idx, true, addr, Integer.toUnsignedLong(len), flags,
                            "INDIRECT inside an indirect table"), head);
                    return null;
                }
                ChainError e = null;
                if (!config.indirect()) {
                    e = builder.violation(ChainRule.INDIRECT_NOT_NEGOTIATED, idx, false, addr, Integer.toUnsignedLong(len), flags,
                            "INDIRECT without VIRTIO_F_INDIRECT_DESC");
                }
                if (e == null && (flags & SplitRing.F_NEXT) != 0) {
                    e = builder.violation(ChainRule.INDIRECT_WITH_NEXT, idx, false, addr, Integer.toUnsignedLong(len), flags,
                            "INDIRECT and NEXT on one descriptor; NEXT ignored");
                }
                long tableBytes = Integer.toUnsignedLong(len);
                if (e == null && (tableBytes == 0 || tableBytes % SplitRing.DESC_SIZE != 0)) {
                    e = builder.error(ChainRule.INDIRECT_BAD_LENGTH, idx, false, addr, tableBytes, flags,
                            "indirect table length " + tableBytes + " is not a non-zero multiple of 16");
                }
                if (e == null && !memory.contains(addr, tableBytes)) {
                    e = builder.error(ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY, idx, false, addr, tableBytes, flags,
                            "indirect table is not inside guest memory");
                }
                if (e != null) {
                    reject(e, head);
                    return null;
                }
                table = addr;
                tableLength = tableBytes / SplitRing.DESC_SIZE;
                inIndirect = true;
                idx = 0;
                continue;
            }

            if (++buffers > q) {
                if (buffers > hardLimit) {
                    reject(builder.error(ChainRule.CHAIN_TOO_LONG, idx, inIndirect, addr, Integer.toUnsignedLong(len), flags,
                            "chain longer than the hard limit of " + hardLimit + " descriptors"), head);
                    return null;
                }
                if (!tooLongReported) {
                    tooLongReported = true;
                    ChainError e = builder.violation(ChainRule.CHAIN_TOO_LONG, idx, inIndirect, addr,
                            Integer.toUnsignedLong(len), flags, "chain longer than the queue size " + q);
                    if (e != null) {
                        reject(e, head);
                        return null;
                    }
                }
            }
            ChainError e = builder.buffer(idx, inIndirect, addr, len, flags, (flags & SplitRing.F_WRITE) != 0);
            if (e != null) {
                reject(e, head);
                return null;
            }
            if ((flags & SplitRing.F_NEXT) == 0) break;
            if (next >= tableLength) {
                reject(builder.error(ChainRule.NEXT_OUT_OF_RANGE, idx, inIndirect, addr, Integer.toUnsignedLong(len), flags,
                        "next " + next + " is not below the table size " + tableLength), head);
                return null;
            }
            idx = next;
        }
        Chain chain = builder.build(head, 1, order.nextSequence());
        order.taken(chain);
        if (inflight != null) inflight.taken(head);
        observer.chainRead(index(), chain);
        return chain;
    }

    /** Applies the policy to a rejected chain; {@code head} is -1 when there is no valid id to return. */
    private void reject(ChainError e, int head) {
        Reaction reaction = policy.reaction(e.rule());
        if (reaction == Reaction.TOLERATE) reaction = Reaction.SKIP; // only reached for errors that cannot be tolerated
        observer.chainRejected(index(), e, reaction);
        if (reaction == Reaction.NEEDS_RESET) {
            brokenBy = e;
        } else if (head >= 0) {
            Chain placeholder = new Chain(head, List.of(), List.of(), 0, 0, 1, List.of(), order.nextSequence());
            order.skipped(placeholder, this::writeUsed);
        }
    }

    @Override
    void writeUsed(Chain chain, long completed) {
        // A chain may hold 2^32 bytes [DRV-SPLIT-008] but used.len has 32 bits. Reporting one byte less than was
        // written is allowed [DEV-SPLIT-017]; truncating 2^32 to 0 would tell the driver nothing arrived.
        long written = Math.min(completed, MAX_USED_LEN);
        long elem = ring.usedRing(usedIdx & mask);
        // id then len, adjacent little-endian fields: one store writes the element.
        memory.writeLe64(elem, Integer.toUnsignedLong(chain.id()) | written << 32);
        usedIdx = (usedIdx + 1) & 0xffff;
        if (inflight != null) {
            if (unpublishedCount == unpublished.length) unpublished = java.util.Arrays.copyOf(unpublished, unpublished.length * 2);
            unpublished[unpublishedCount++] = chain.id();
        }
        observer.usedWritten(index(), chain.id(), written);
    }

    @Override
    public boolean publish() {
        if (usedIdx == publishedUsed) return false;
        int old = publishedUsed;
        memory.writeLe16Release(ring.usedIdx(), (short) usedIdx);
        publishedUsed = usedIdx;
        if (inflight != null) {
            // After the used index is visible: a crash in between leaves these marked, and recovery reads the
            // used ring to see that they were completed.
            inflight.published(unpublished, unpublishedCount, usedIdx);
            unpublishedCount = 0;
        }
        observer.usedPublished(index(), usedIdx);
        GuestMemory.fullFence();
        int flags = memory.readLe16(ring.availFlags()) & 0xffff;
        int event = memory.readLe16(ring.usedEvent()) & 0xffff;
        suppressionRead(flags, event);
        boolean notify = config.eventIdx() ? SplitRing.needEvent(event, usedIdx, old) : (flags & SplitRing.AVAIL_F_NO_INTERRUPT) == 0;
        // The reason is text made for an observer: not made on every publish when nobody observes.
        if (observer != QueueObserver.NONE) {
            observer.notificationDecided(index(), notify,
                    config.eventIdx() ? "used_event " + event + ", used " + old + "->" + usedIdx : "avail.flags " + flags);
        }
        return notify;
    }

    @Override
    public boolean notificationsWanted() {
        return !config.eventIdx() && (memory.readLe16(ring.availFlags()) & SplitRing.AVAIL_F_NO_INTERRUPT) == 0;
    }

    @Override
    public boolean hasAvailable() {
        if (brokenBy != null) return false;
        return !resubmit.isEmpty() || (memory.readLe16Acquire(ring.availIdx()) & 0xffff) != lastAvail;
    }

    @Override
    public boolean enableNotifications() {
        notificationsEnabled = true;
        if (config.eventIdx()) {
            memory.writeLe16(ring.availEvent(), (short) lastAvail);
        } else {
            memory.writeLe16(ring.usedFlags(), (short) 0);
        }
        GuestMemory.fullFence();
        return brokenBy == null && (memory.readLe16(ring.availIdx()) & 0xffff) != lastAvail;
    }

    @Override
    public void disableNotifications() {
        notificationsEnabled = false;
        if (!config.eventIdx()) {
            memory.writeLe16(ring.usedFlags(), (short) SplitRing.USED_F_NO_NOTIFY);
        }
    }

    @Override
    public boolean giveBack(java.util.Collection<Chain> chains) {
        if (inflight != null || !resubmit.isEmpty() || !order.areTheLastTaken(chains)) return false;
        order.forget(chains);
        lastAvail = (lastAvail - chains.size()) & 0xffff; // one available-ring entry per chain
        lastSeenAvail = lastAvail;
        return true;
    }

    @Override
    public long base() {
        return lastAvail;
    }
}
