package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.List;

/**
 * The device side of a packed virtqueue (PVKit spec §7).
 *
 * <p>Ordering: the flags of the slot at the next available position are read with acquire before anything of the
 * list they expose; a used descriptor's {@code id} and {@code len} are written before its flags are stored with
 * release [DEV-PACKED-032]; a full fence separates the last flags store from reading the Driver Area.
 *
 * <p>Positions in observations ({@link QueueObserver#availIndexRead}, {@link QueueObserver#usedPublished}) are
 * in the {@code off_wrap} form: slot in bits 0–14, wrap counter in bit 15. The available position is reported
 * once per list taken or skipped, from its first slot to the slot after it.
 */
public final class PackedDeviceQueue extends RingQueue {

    private final PackedRing ring;
    private final int q;

    private int availPos;          // next slot to take
    private boolean availWrap;     // wrap value the driver writes in that slot's lap
    private int usedPos;           // next slot to write a used descriptor to
    private boolean usedWrap;
    private int heldSlots;         // slots taken and not yet returned: the device owns them
    private int slotsSincePublish; // used slots written since the last publish
    private boolean notificationsEnabled = true;
    /**
     * The available position counted without wrapping (slot = count mod Q; laps of wrap value 1 are the even ones;
     * the used position's count is this less the held slots), and per slot the count at which the device last wrote
     * a used descriptor there: the slot at the available position holds the device's used descriptor of the lap
     * before exactly when that count is {@code availCount - Q}. Taking a list then moves one counter, where a mark
     * per slot had to be cleared for every list taken.
     */
    private long availCount;
    private final long[] usedAt;
    private boolean firstLap;      // built at the initial position and the available position has not wrapped yet
    private boolean wrapped;       // the available position wrapped since the queue was built: the driver wrote every slot since
    private int reportedSlot = -1; // the last unexpectedSlotFlags report
    private int reportedFlags;

    // The list being walked: where it started and where the walk stands.
    private int first;
    private int slot;
    private boolean wrap;
    private int slots;
    private int ringFlags;
    private int steps;     // descriptors read for this list, ring and indirect
    private int stepLimit; // what one list may cost: the hard limit, its indirect pointer and the tripping read

    // Inflight tracking (vhost-user): null unless trackInflight was called.
    private PackedInflightTracker inflight;
    private final java.util.ArrayDeque<PackedInflightTracker.Entry> resubmit = new java.util.ArrayDeque<>();
    private final java.util.Map<Long, Integer> handles = new java.util.HashMap<>(); // chain sequence -> tracker handle
    private PackedInflightTracker.Entry replay; // the saved list being walked instead of the ring, or null
    private long[] walkAddr;                    // the ring descriptors of the list being walked, as read
    private int[] walkLen;
    private int[] walkFlags;

    public PackedDeviceQueue(GuestMemory memory, QueueConfig config) {
        super(memory, config);
        int size = config.size();
        if (size < 1 || size > QueueConfig.MAX_SIZE) {
            throw new QueueSetupException("queue " + config.index() + ": packed queue size " + size + " is not in 1..32768");
        }
        checkArea(memory, config, "descriptor ring", config.descriptors(), PackedRing.ringBytes(size), PackedRing.DESC_ALIGN);
        checkArea(memory, config, "driver event suppression area", config.driverArea(), PackedRing.EVENT_BYTES, PackedRing.EVENT_ALIGN);
        checkArea(memory, config, "device event suppression area", config.deviceArea(), PackedRing.EVENT_BYTES, PackedRing.EVENT_ALIGN);
        long base = config.base();
        int avail = (int) (base & 0x7fff);
        int used = (int) ((base >>> 16) & 0x7fff);
        if (avail >= size || used >= size) {
            throw new QueueSetupException(String.format("queue %d: base 0x%x names a slot beyond the queue size %d", config.index(), base, size));
        }
        this.ring = new PackedRing(size, config.descriptors(), config.driverArea(), config.deviceArea());
        this.q = size;
        this.availPos = avail;
        this.availWrap = (base & 0x8000) != 0;
        this.usedPos = used;
        this.usedWrap = (base & 0x8000_0000L) != 0;
        // Slots between the used and the available position are lists taken before a reconnect.
        long lapAvail = availPos + (availWrap == usedWrap ? 0L : q);
        this.heldSlots = (int) Math.max(0, Math.min(q, lapAvail - usedPos));
        this.usedAt = new long[size];
        countFromPositions();
        this.firstLap = base == ((1L << 15) | (1L << 31)); // QueueConfig.of: slot 0, both wrap counters 1
        if (firstLap) ringAtStart();
    }

    /** Reports what the ring held when the queue was built at the initial position. */
    private void ringAtStart() {
        int strange = 0;
        int first = -1;
        int firstFlags = 0;
        for (int s = 0; s < q; s++) {
            int f = memory.readLe16(ring.descFlags(s)) & 0xffff;
            if (f == 0 || PackedRing.isAvailable(f, true)) continue;
            if (strange++ == 0) {
                first = s;
                firstFlags = f;
            }
        }
        observer.packedRingAtStart(index(), strange, first, firstFlags);
    }

    /**
     * The slot at the available position is not available: reports flags no driver keeping its wrap counter leaves
     * there (see {@link QueueObserver#unexpectedSlotFlags}), once per slot and value.
     */
    private void checkUnavailable(int flags) {
        // Marked used for this lap: never the device's own write ahead of its available position, and, once the
        // driver has written every slot since the build (or the ring was new), never anything left from before.
        boolean usedNow = PackedRing.isUsed(flags, availWrap) && (wrapped || firstLap);
        boolean afterUsed = usedAt[availPos] == availCount - q && PackedRing.isAvailable(flags, !availWrap);
        boolean early = firstLap && flags != 0;
        if (!usedNow && !afterUsed && !early) return;
        if (availPos == reportedSlot && flags == reportedFlags) return;
        reportedSlot = availPos;
        reportedFlags = flags;
        observer.unexpectedSlotFlags(index(), availPos, availWrap, flags, firstLap, afterUsed);
    }

    /**
     * Records taken and returned lists in {@code tracker} from now on, after reconciling it with the ring: lists it
     * still holds are handed out again by {@link #poll()} before any new ones, walked from the descriptors the
     * tracker kept (the ring slots may since hold used descriptors), and both positions resume from the record
     * (the available one after every slot those lists hold). When the tracker has no record the queue keeps its
     * base. With {@code recover} false the record is taken as current (the queue was only rebuilt, e.g. on a new
     * memory map, with nothing in flight). Call before the first poll.
     */
    public void trackInflight(PackedInflightTracker tracker, boolean recover) {
        walkAddr = new long[q];
        walkLen = new int[q];
        walkFlags = new int[q];
        if (!recover) {
            tracker.attach(PackedRing.offWrap(usedPos, usedWrap));
            inflight = tracker;
            return;
        }
        PackedInflightTracker.Recovery r = tracker.recover(PackedRing.offWrap(usedPos, usedWrap),
                slot -> slot >= 0 && slot < q ? memory.readLe16(ring.descFlags(slot)) & 0xffff : 0);
        inflight = tracker;
        if (r == null) return;
        usedPos = r.usedOffWrap() & 0x7fff;
        usedWrap = (r.usedOffWrap() & 0x8000) != 0;
        int held = 0;
        for (PackedInflightTracker.Entry e : r.inflight()) {
            if (e.slots() < 1 || held + e.slots() > q) continue; // the tracker checked; never trust it past a ring
            held += e.slots();
            resubmit.add(e);
        }
        heldSlots = held;
        availPos = usedPos + held;
        availWrap = usedWrap;
        if (availPos >= q) {
            availPos -= q;
            availWrap = !availWrap;
        }
        countFromPositions();
    }

    /**
     * Sets the available count from the position, and forgets every used mark: at construction, and when
     * a recovery moved the positions. The available count starts a lap or two in, so that the lap before it is
     * never negative and no slot's mark (-1: none yet) can equal it. Longs: an int would wrap within minutes at full
     * rate, and its marks would then alias.
     */
    private void countFromPositions() {
        availCount = (availWrap ? 2L : 1L) * q + availPos;
        java.util.Arrays.fill(usedAt, -1);
    }

    /**
     * Takes over the lists {@code previous} — this ring's queue before it was rebuilt on a new memory map — still had
     * to hand out again after a recovery: their slots are held already (the base resumes after them), so a rebuilt
     * queue that dropped them would never complete them. Call after {@link #trackInflight}.
     */
    public void takeResubmissions(PackedDeviceQueue previous) {
        resubmit.addAll(previous.resubmit);
        previous.resubmit.clear();
    }

    @Override
    public Chain poll() {
        while (brokenBy == null && !resubmit.isEmpty()) {
            Chain chain = resubmitNext(resubmit.poll());
            if (chain != null) return chain;
        }
        while (brokenBy == null) {
            // A correct driver cannot make a slot available that the device has not returned yet.
            if (heldSlots >= q) return null;
            // The head's len, id and flags in one acquire load: flags that say available come with the len and id
            // the driver stored before them.
            long head = memory.readLe64Acquire(ring.descLen(availPos));
            int flags = (int) (head >>> 48);
            if (!PackedRing.isAvailable(flags, availWrap)) {
                checkUnavailable(flags);
                return null;
            }
            Chain chain = inflight == null ? walkDirect(head) : null;
            if (chain == null) chain = walk(head);
            if (config.eventIdx() && notificationsEnabled) writeDeviceEvent();
            if (chain != null) return chain;
        }
        return null;
    }

    /**
     * A list that was in flight before a restart: walked again from its saved descriptors (with every check a list
     * from the ring gets), or, when it had been rejected, returned empty again. Its slots are already held.
     */
    private Chain resubmitNext(PackedInflightTracker.Entry e) {
        if (e.skipped()) {
            Chain placeholder = new Chain(e.id(), List.of(), List.of(), 0, 0, e.slots(), List.of(), order.nextSequence());
            handles.put(placeholder.sequence, e.handle());
            order.skipped(placeholder, this::writeUsed);
            return null;
        }
        replay = e;
        try {
            return walk((long) e.flags()[0] << 48);
        } finally {
            replay = null;
        }
    }

    /**
     * Walks the list at the next available slot (or the saved list being resubmitted); returns it, or null after
     * handling a rejection. {@code head} is the first descriptor's len, id and flags word as read (of a saved list,
     * its flags alone).
     */
    private Chain walk(long head) {
        first = replay != null ? replay.slot() : availPos;
        // The walk's position in locals, stored into the fields (park) only where a method reads them: kept in
        // fields, every descriptor paid their loads and stores around the guest memory accesses.
        int slot = first;
        boolean wrap = availWrap;
        int slots = 0;
        int steps = 0;
        builder.start(first);
        // A legitimate list never reaches into slots the device still holds (nor past a whole ring); a saved list
        // is exactly as long as it was recorded.
        int slotBudget = replay != null ? replay.slots() : q - heldSlots;
        int hardLimit = Math.max(q, policy.hardChainLimit());
        stepLimit = hardLimit + 2;
        int buffers = 0;
        boolean tooLongReported = false;
        int flags = (int) (head >>> 48);
        int lastId = 0; // the buffer id of the descriptor read last: the list's id once the walk ends
        while (true) {
            steps++;
            long lenIdFlags = head;
            if (slots > 0 && replay != null) {
                flags = replay.flags()[slots];
            } else if (slots > 0) {
                // len, id and flags are adjacent little-endian fields: one load reads the flags and the length.
                lenIdFlags = memory.readLe64(ring.descLen(slot));
                flags = (int) (lenIdFlags >>> 48);
                if (!PackedRing.isAvailable(flags, wrap)) {
                    ChainError e = builder.violation(ChainRule.LIST_NOT_AVAILABLE, slot, false, 0, 0, flags,
                            "slot " + slot + " of the list is not available in lap " + (wrap ? 1 : 0));
                    if (e != null) {
                        park(slot, wrap, slots, steps, flags);
                        reject(e, false); // the rest of the list is not the driver's yet: its end is unknown
                        return null;
                    }
                }
            }
            long addr;
            int len;
            if (replay != null) {
                addr = replay.addr()[slots];
                len = replay.len()[slots];
            } else {
                addr = memory.readLe64(ring.desc(slot));
                len = (int) lenIdFlags;
                lastId = (int) (lenIdFlags >>> 32) & 0xffff;
                if (inflight != null) {
                    walkAddr[slots] = addr;
                    walkLen[slots] = len;
                    walkFlags[slots] = flags;
                }
            }
            slots++;
            long ulen = Integer.toUnsignedLong(len);

            if ((flags & PackedRing.F_INDIRECT) != 0) {
                ChainError e = null;
                if (!config.indirect()) {
                    e = builder.violation(ChainRule.INDIRECT_NOT_NEGOTIATED, slot, false, addr, ulen, flags,
                            "INDIRECT without VIRTIO_F_INDIRECT_DESC");
                }
                if (e == null && ((flags & PackedRing.F_NEXT) != 0 || slots > 1)) {
                    e = builder.violation(ChainRule.INDIRECT_WITH_NEXT, slot, false, addr, ulen, flags,
                            "INDIRECT on a descriptor of a NEXT-chained list");
                }
                if (e == null && (ulen == 0 || ulen % PackedRing.DESC_SIZE != 0)) {
                    e = builder.error(ChainRule.INDIRECT_BAD_LENGTH, slot, false, addr, ulen, flags,
                            "indirect table length " + ulen + " is not a non-zero multiple of 16");
                }
                if (e == null && !memory.contains(addr, ulen)) {
                    e = builder.error(ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY, slot, false, addr, ulen, flags,
                            "indirect table is not inside guest memory");
                }
                if (e != null) {
                    park(slot, wrap, slots, steps, flags);
                    reject(e, true);
                    return null;
                }
                long entries = ulen / PackedRing.DESC_SIZE;
                boolean flagsReported = false;
                for (int i = 0; i < entries; i++) {
                    long t = addr + (long) PackedRing.DESC_SIZE * i;
                    steps++;
                    long bAddr = memory.readLe64(t);
                    int bLen = memory.readLe32(t + 8);
                    int bFlags = memory.readLe16(t + 14) & 0xffff;
                    if ((bFlags & ~PackedRing.F_WRITE) != 0 && !flagsReported) {
                        flagsReported = true; // once per list: the device ignores the bits anyway
                        e = builder.violation(ChainRule.INDIRECT_TABLE_FLAGS, i, true, bAddr, Integer.toUnsignedLong(bLen), bFlags,
                                "flags other than WRITE in an indirect table entry");
                    }
                    if (e == null) e = checkLength(++buffers, steps, hardLimit, tooLongReported, i, true, bAddr, bLen, bFlags);
                    if (buffers > q) tooLongReported = true;
                    if (e == null) e = builder.buffer(i, true, bAddr, bLen, bFlags, (bFlags & PackedRing.F_WRITE) != 0);
                    if (e != null) {
                        park(slot, wrap, slots, steps, flags);
                        reject(e, true);
                        return null;
                    }
                }
            } else {
                ChainError e = checkLength(++buffers, steps, hardLimit, tooLongReported, slot, false, addr, len, flags);
                if (buffers > q) tooLongReported = true;
                if (e == null) e = builder.buffer(slot, false, addr, len, flags, (flags & PackedRing.F_WRITE) != 0);
                if (e != null) {
                    park(slot, wrap, slots, steps, flags);
                    reject(e, true);
                    return null;
                }
            }
            if ((flags & PackedRing.F_NEXT) == 0) break;
            if (slots >= slotBudget) {
                park(slot, wrap, slots, steps, flags);
                reject(pastBudget(slotBudget, addr, ulen, flags), false);
                return null;
            }
            if (++slot == q) {
                slot = 0;
                wrap = !wrap;
            }
        }
        park(slot, wrap, slots, steps, flags);
        if (replay != null && slots != replay.slots()) {
            reject(builder.error(ChainRule.LIST_NOT_AVAILABLE, slot, false, 0, 0, flags, "saved list ends after "
                    + slots + " of the " + replay.slots() + " slots recorded for it"), false);
            return null;
        }
        // The buffer id sits in the last descriptor, read with its length above.
        int id = replay != null ? replay.id() : lastId;
        Chain chain = builder.build(id, slots, order.nextSequence());
        if (replay != null) {
            handles.put(chain.sequence, replay.handle());
        } else {
            take();
            if (inflight != null) handles.put(chain.sequence, inflight.taken(first, slots, id, walkAddr, walkLen, walkFlags));
        }
        order.taken(chain);
        observer.chainRead(index(), chain);
        return chain;
    }

    /**
     * The usual list, taken in one straight pass: descriptors in the ring (no indirect table), each available in its
     * lap, the whole list within the slots the driver may use and within Q buffers, every buffer accepted by the
     * builder. Anything else returns null having changed nothing but the builder's scratch, and {@link #walk} takes
     * the list again with every check and report. Not for a saved list or while inflight tracking records the walk.
     * Why a second walk: the full one pays on every descriptor for saved lists, inflight records, indirect tables and
     * length reports that a plain list never needs. This pass raised the ring benchmark's packed 3-descriptor ratio
     * from 0.327 to 0.346 (medians of 10 alternating forks each); the hostile-ring properties check both walks
     * against the same oracle, as every list that is not plain goes on to the full walk.
     */
    private Chain walkDirect(long head) {
        int start = availPos;
        int slot = start;
        boolean wrap = availWrap;
        int budget = q - heldSlots;
        long lenIdFlags = head;
        int n = 0;
        builder.start(start);
        while (true) {
            int flags = (int) (lenIdFlags >>> 48);
            if ((flags & PackedRing.F_INDIRECT) != 0) return null;
            long addr = memory.readLe64(ring.desc(slot));
            n++;
            if (builder.buffer(slot, false, addr, (int) lenIdFlags, flags, (flags & PackedRing.F_WRITE) != 0) != null) return null;
            if ((flags & PackedRing.F_NEXT) == 0) {
                first = start;
                park(slot, wrap, n, n, flags);
                Chain chain = builder.build((int) (lenIdFlags >>> 32) & 0xffff, n, order.nextSequence());
                take();
                order.taken(chain);
                observer.chainRead(index(), chain);
                return chain;
            }
            if (n >= budget) return null; // the budget is at most Q, so this also holds the list to Q buffers
            if (++slot == q) {
                slot = 0;
                wrap = !wrap;
            }
            lenIdFlags = memory.readLe64(ring.descLen(slot));
            if (!PackedRing.isAvailable((int) (lenIdFlags >>> 48), wrap)) return null;
        }
    }

    /**
     * The list goes on past the last slot it may use. A saved list ran past its record. A ring list whose NEXT
     * flags carry it past Q slots is longer than the queue (DRV-PACKED-008); any other ran into slots the device
     * still holds, and blaming the queue size for that would blame the wrong rule: the driver made the list
     * available without room for all of it (DRV-PACKED-011). Either way its tail is not the driver's to hand over,
     * so the caller stops the queue rather than skip (no SKIP could return such a list).
     */
    private ChainError pastBudget(int slotBudget, long addr, long len, int flags) {
        if (replay != null) {
            return builder.error(ChainRule.CHAIN_TOO_LONG, slot, false, addr, len, flags,
                    "saved list runs past the " + slotBudget + " slots recorded for it");
        }
        int length = heldSlots == 0 ? q + 1 : lengthIntoHeldSlots();
        if (length > q) {
            return builder.error(ChainRule.CHAIN_TOO_LONG, slot, false, addr, len, flags, heldSlots == 0
                    ? "list runs past the " + q + " ring slots the driver may use"
                    : "list runs past all " + q + " ring slots, " + heldSlots + " of them still held by the device");
        }
        return builder.error(ChainRule.LIST_INTO_HELD_SLOTS, slot, false, addr, len, flags,
                (length > 0 ? "list of " + length + " slots" : "list") + " runs on into slot " + usedPos
                        + ", the first of the " + heldSlots + " slots the device still holds");
    }

    /**
     * How far a list that reached the held slots (they start at the used position) goes on: followed by NEXT
     * through the slots marked available in its lap, to its end, or to Q + 1 when all Q slots carry NEXT; 0 when
     * it reaches a slot not available in its lap, whose flags do not say the driver meant it as part of this list
     * (they are then an older lap's, normally a held list's). Reads only flags, inside the ring, at most
     * {@code heldSlots} of them, and changes nothing of the walk but its read count.
     */
    private int lengthIntoHeldSlots() {
        int s = slot;
        boolean w = wrap;
        for (int n = slots; n < q; ) {
            if (++s == q) {
                s = 0;
                w = !w;
            }
            step();
            int f = memory.readLe16(ring.descFlags(s)) & 0xffff;
            if (!PackedRing.isAvailable(f, w)) return 0;
            n++;
            if ((f & PackedRing.F_NEXT) == 0) return n;
        }
        return q + 1;
    }

    /**
     * CHAIN_TOO_LONG beyond Q buffers: reported once and tolerable up to the hard limit, never past it. The step
     * count also bounds lists that (tolerated) mix several indirect tables into a NEXT chain.
     */
    private ChainError checkLength(int buffers, int steps, int hardLimit, boolean reported, int descriptor,
                                   boolean inIndirect, long addr, int len, int flags) {
        if (buffers > hardLimit || steps > hardLimit + 1) {
            return builder.error(ChainRule.CHAIN_TOO_LONG, descriptor, inIndirect, addr, Integer.toUnsignedLong(len), flags,
                    "list longer than the hard limit of " + hardLimit + " buffers");
        }
        if (buffers <= q || reported) return null;
        return builder.violation(ChainRule.CHAIN_TOO_LONG, descriptor, inIndirect, addr, Integer.toUnsignedLong(len), flags,
                "list longer than the queue size " + q);
    }

    private void step() {
        steps++;
        descriptorsRead++;
    }

    /** Stores the walk's position (kept in locals while it runs) for the methods that read it, and counts its reads. */
    private void park(int slot, boolean wrap, int slots, int steps, int flags) {
        this.slot = slot;
        this.wrap = wrap;
        this.slots = slots;
        this.steps = steps;
        this.ringFlags = flags;
        descriptorsRead += steps;
    }

    private void advance() {
        if (++slot == q) {
            slot = 0;
            wrap = !wrap;
        }
    }

    /**
     * The walked list (first .. slot) now belongs to the device. Only now is it known how far the driver's
     * available position moved, so this is where the move is observed.
     */
    private void take() {
        int from = PackedRing.offWrap(availPos, availWrap);
        availCount += slots;
        heldSlots += slots;
        availPos = slot + 1;
        availWrap = wrap;
        if (availPos == q) {
            availPos = 0;
            availWrap = !availWrap;
        }
        if (availWrap != ((from & 0x8000) != 0)) {
            firstLap = false;
            wrapped = true;
        }
        observer.availIndexRead(index(), from, PackedRing.offWrap(availPos, availWrap));
        // Read for the observer alone (the notification decision reads it again at publish): not read without one.
        if (observer != QueueObserver.NONE) {
            int event = memory.readLe32(ring.driverEvent());
            suppressionRead(event >>> 16, event & 0xffff);
        }
    }

    /**
     * Applies the policy to a rejected list. SKIP needs the list's extent and buffer id; when the walk stopped
     * inside the list ({@code mayScan}) the rest is scanned for its end, else no safe skip exists and the queue stops.
     */
    private void reject(ChainError e, boolean mayScan) {
        Reaction reaction = policy.reaction(e.rule());
        if (reaction == Reaction.TOLERATE) reaction = Reaction.SKIP; // only reached for errors that cannot be tolerated
        // A saved list's extent and id are known: it can always be skipped.
        if (reaction == Reaction.SKIP && replay == null && !(mayScan && findEnd())) reaction = Reaction.NEEDS_RESET;
        observer.chainRejected(index(), e, reaction);
        if (reaction == Reaction.NEEDS_RESET) {
            brokenBy = e;
            return;
        }
        if (replay != null) {
            Chain placeholder = new Chain(replay.id(), List.of(), List.of(), 0, 0, replay.slots(), List.of(), order.nextSequence());
            handles.put(placeholder.sequence, replay.handle());
            order.skipped(placeholder, this::writeUsed);
            return;
        }
        int id = memory.readLe16(ring.descId(slot)) & 0xffff;
        Chain placeholder = new Chain(id, List.of(), List.of(), 0, 0, slots, List.of(), order.nextSequence());
        take();
        if (inflight != null) handles.put(placeholder.sequence, inflight.skipped(first, slots, id));
        order.skipped(placeholder, this::writeUsed);
    }

    /** Moves the walk to the list's last descriptor by its NEXT flags alone; false when no end can be trusted. */
    private boolean findEnd() {
        int budget = q - heldSlots;
        boolean tolerateGaps = policy.reaction(ChainRule.LIST_NOT_AVAILABLE) == Reaction.TOLERATE;
        while ((ringFlags & PackedRing.F_NEXT) != 0) {
            if (slots >= budget || steps >= stepLimit) return false;
            advance();
            step();
            ringFlags = memory.readLe16(ring.descFlags(slot)) & 0xffff;
            if (!tolerateGaps && !PackedRing.isAvailable(ringFlags, wrap)) return false;
            slots++;
        }
        return true;
    }

    @Override
    void writeUsed(Chain chain, long written) {
        Integer handle = inflight != null ? handles.remove(chain.sequence) : null;
        if (inflight != null) inflight.completing(handle != null ? handle : -1, PackedRing.offWrap(usedPos, usedWrap));
        int flags = PackedRing.usedBits(usedWrap) | (written > 0 ? PackedRing.F_WRITE : 0);
        // len, id and flags in one release store: the driver cannot see the flags before the len and id [DEV-PACKED-032].
        memory.writeLe64Release(ring.descLen(usedPos), (written & 0xffff_ffffL) | (long) (chain.id() & 0xffff) << 32
                | (long) (flags & 0xffff) << 48);
        usedAt[usedPos] = availCount - heldSlots;
        usedPos += chain.ringSlots();
        if (usedPos >= q) {
            usedPos -= q;
            usedWrap = !usedWrap;
        }
        heldSlots -= chain.ringSlots();
        slotsSincePublish += chain.ringSlots();
        if (inflight != null) inflight.completed(handle != null ? handle : -1, PackedRing.offWrap(usedPos, usedWrap));
        observer.usedWritten(index(), chain.id(), written);
    }

    @Override
    public boolean publish() {
        if (slotsSincePublish == 0) return false;
        int written = slotsSincePublish;
        slotsSincePublish = 0;
        // Packed used descriptors are visible as soon as their flags are stored; publishing is the notify decision.
        observer.usedPublished(index(), PackedRing.offWrap(usedPos, usedWrap));
        GuestMemory.fullFence();
        int event = memory.readLe32(ring.driverEvent()); // one read: mode and event point from the same update
        suppressionRead(event >>> 16, event & 0xffff);
        int offWrap = event & 0xffff;
        int mode = (event >>> 16) & 3;
        boolean notify;
        String reason;
        switch (mode) {
            case PackedRing.EVENT_ENABLE -> {
                notify = true;
                reason = "driver event flags ENABLE";
            }
            case PackedRing.EVENT_DISABLE -> {
                notify = false;
                reason = "driver event flags DISABLE";
            }
            case PackedRing.EVENT_DESC -> {
                if (config.eventIdx()) {
                    notify = PackedRing.needEvent(offWrap, q, usedPos, usedWrap, written);
                    // Formatted only for an observer: not on every publish when nobody observes.
                    reason = observer == QueueObserver.NONE ? "" : String.format("driver event DESC off %d wrap %d, used moved %d slots to %d wrap %d",
                            offWrap & 0x7fff, offWrap >>> 15, written, usedPos, usedWrap ? 1 : 0);
                } else {
                    notify = true; // DESC is not allowed without EVENT_IDX: notifying cannot lose an event
                    reason = "driver event flags DESC without EVENT_IDX, treated as ENABLE";
                }
            }
            default -> {
                notify = true;
                reason = "driver event flags 3 (reserved), treated as ENABLE";
            }
        }
        observer.notificationDecided(index(), notify, reason);
        return notify;
    }

    @Override
    public boolean notificationsWanted() {
        return ((memory.readLe32(ring.driverEvent()) >>> 16) & 3) == PackedRing.EVENT_ENABLE;
    }

    @Override
    public boolean hasAvailable() {
        if (brokenBy != null) return false;
        if (!resubmit.isEmpty()) return true;
        return heldSlots < q && PackedRing.isAvailable(memory.readLe16Acquire(ring.descFlags(availPos)) & 0xffff, availWrap);
    }

    @Override
    public boolean enableNotifications() {
        notificationsEnabled = true;
        writeDeviceEvent();
        GuestMemory.fullFence();
        if (brokenBy != null || heldSlots >= q) return false;
        return PackedRing.isAvailable(memory.readLe16(ring.descFlags(availPos)) & 0xffff, availWrap);
    }

    /** ENABLE, or with EVENT_IDX a DESC event at the next slot the device will take. */
    private void writeDeviceEvent() {
        int value = config.eventIdx()
                ? PackedRing.event(PackedRing.EVENT_DESC, PackedRing.offWrap(availPos, availWrap))
                : PackedRing.event(PackedRing.EVENT_ENABLE, 0);
        memory.writeLe32(ring.deviceEvent(), value);
    }

    @Override
    public void disableNotifications() {
        notificationsEnabled = false;
        memory.writeLe32(ring.deviceEvent(), PackedRing.event(PackedRing.EVENT_DISABLE, 0));
    }

    @Override
    public boolean giveBack(java.util.Collection<Chain> chains) {
        if (inflight != null || !resubmit.isEmpty() || replay != null || !order.areTheLastTaken(chains)) return false;
        int slotsBack = 0;
        for (Chain c : chains) slotsBack += c.ringSlots();
        if (slotsBack != heldSlots) return false; // slots held from before a reconnect: not ours to give back
        order.forget(chains);
        availPos -= slotsBack;
        availCount -= slotsBack;
        if (availPos < 0) {
            availPos += q;
            availWrap = !availWrap;
        }
        heldSlots = 0;
        return true;
    }

    @Override
    public long base() {
        return PackedRing.offWrap(availPos, availWrap) | (long) PackedRing.offWrap(usedPos, usedWrap) << 16;
    }
}
