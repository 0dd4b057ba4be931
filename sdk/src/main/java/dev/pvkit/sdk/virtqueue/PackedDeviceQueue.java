package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.observe.QueueObserver;

import java.util.List;

/**
 * The device side of a packed virtqueue (PVKit spec §7).
 *
 * <p>Ordering: the flags of the slot at the next available position are read with acquire before anything of the
 * list they expose; a used descriptor's {@code id} and {@code len} are written before its flags are stored with
 * release [DEV-PACKED-032]; a full fence separates the last flags store from reading the Driver Area.
 *
 * <p>Positions in observations ({@link QueueObserver#availIndexRead}, {@link QueueObserver#usedPublished}) are
 * in the {@code off_wrap} form: slot in bits 0–14, wrap counter in bit 15.
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
    private int lastReportedAvail;
    private boolean notificationsEnabled = true;

    // The list being walked: where it started and where the walk stands.
    private int first;
    private int slot;
    private boolean wrap;
    private int slots;
    private int ringFlags;
    private int steps;     // descriptors read for this list, ring and indirect
    private int stepLimit; // what one list may cost: the hard limit, its indirect pointer and the tripping read

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
        this.lastReportedAvail = PackedRing.offWrap(availPos, availWrap);
    }

    @Override
    public Chain poll() {
        while (brokenBy == null) {
            // A correct driver cannot make a slot available that the device has not returned yet.
            if (heldSlots >= q) return null;
            int flags = memory.readLe16Acquire(ring.descFlags(availPos)) & 0xffff;
            if (!PackedRing.isAvailable(flags, availWrap)) return null;
            int position = PackedRing.offWrap(availPos, availWrap);
            observer.availIndexRead(index(), lastReportedAvail, position);
            lastReportedAvail = position;
            Chain chain = walk(flags);
            if (config.eventIdx() && notificationsEnabled) writeDeviceEvent();
            if (chain != null) return chain;
        }
        return null;
    }

    /** Walks the list at the next available slot; returns it, or null after handling a rejection. */
    private Chain walk(int firstFlags) {
        first = availPos;
        slot = availPos;
        wrap = availWrap;
        slots = 0;
        steps = 0;
        builder.start(first);
        // A legitimate list never reaches into slots the device still holds (nor past a whole ring).
        int slotBudget = q - heldSlots;
        int hardLimit = Math.max(q, policy.hardChainLimit());
        stepLimit = hardLimit + 2;
        int buffers = 0;
        boolean tooLongReported = false;
        int flags = firstFlags;
        while (true) {
            step();
            if (slots > 0) {
                flags = memory.readLe16(ring.descFlags(slot)) & 0xffff;
                if (!PackedRing.isAvailable(flags, wrap)) {
                    ChainError e = builder.violation(ChainRule.LIST_NOT_AVAILABLE, slot, false, 0, 0, flags,
                            "slot " + slot + " of the list is not available in lap " + (wrap ? 1 : 0));
                    if (e != null) {
                        reject(e, false); // the rest of the list is not the driver's yet: its end is unknown
                        return null;
                    }
                }
            }
            ringFlags = flags;
            slots++;
            long d = ring.desc(slot);
            long addr = memory.readLe64(d);
            int len = memory.readLe32(d + 8);
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
                    reject(e, true);
                    return null;
                }
                long entries = ulen / PackedRing.DESC_SIZE;
                boolean flagsReported = false;
                for (int i = 0; i < entries; i++) {
                    long t = addr + (long) PackedRing.DESC_SIZE * i;
                    step();
                    long bAddr = memory.readLe64(t);
                    int bLen = memory.readLe32(t + 8);
                    int bFlags = memory.readLe16(t + 14) & 0xffff;
                    if ((bFlags & ~PackedRing.F_WRITE) != 0 && !flagsReported) {
                        flagsReported = true; // once per list: the device ignores the bits anyway
                        e = builder.violation(ChainRule.INDIRECT_TABLE_FLAGS, i, true, bAddr, Integer.toUnsignedLong(bLen), bFlags,
                                "flags other than WRITE in an indirect table entry");
                    }
                    if (e == null) e = checkLength(++buffers, hardLimit, tooLongReported, i, true, bAddr, bLen, bFlags);
                    if (buffers > q) tooLongReported = true;
                    if (e == null) e = builder.buffer(i, true, bAddr, bLen, bFlags, (bFlags & PackedRing.F_WRITE) != 0);
                    if (e != null) {
                        reject(e, true);
                        return null;
                    }
                }
            } else {
                ChainError e = checkLength(++buffers, hardLimit, tooLongReported, slot, false, addr, len, flags);
                if (buffers > q) tooLongReported = true;
                if (e == null) e = builder.buffer(slot, false, addr, len, flags, (flags & PackedRing.F_WRITE) != 0);
                if (e != null) {
                    reject(e, true);
                    return null;
                }
            }
            if ((flags & PackedRing.F_NEXT) == 0) break;
            if (slots >= slotBudget) {
                reject(builder.error(ChainRule.CHAIN_TOO_LONG, slot, false, addr, ulen, flags,
                        "list runs past the " + slotBudget + " ring slots the driver may use"), false);
                return null;
            }
            advance();
        }
        int id = memory.readLe16(ring.descId(slot)) & 0xffff; // the buffer id sits in the last descriptor
        Chain chain = builder.build(id, slots, order.nextSequence());
        take();
        order.taken(chain);
        observer.chainRead(index(), chain);
        return chain;
    }

    /**
     * CHAIN_TOO_LONG beyond Q buffers: reported once and tolerable up to the hard limit, never past it. The step
     * count also bounds lists that (tolerated) mix several indirect tables into a NEXT chain.
     */
    private ChainError checkLength(int buffers, int hardLimit, boolean reported, int descriptor, boolean inIndirect,
                                   long addr, int len, int flags) {
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

    private void advance() {
        if (++slot == q) {
            slot = 0;
            wrap = !wrap;
        }
    }

    /** The walked list (first .. slot) now belongs to the device. */
    private void take() {
        heldSlots += slots;
        availPos = slot + 1;
        availWrap = wrap;
        if (availPos == q) {
            availPos = 0;
            availWrap = !availWrap;
        }
    }

    /**
     * Applies the policy to a rejected list. SKIP needs the list's extent and buffer id; when the walk stopped
     * inside the list ({@code mayScan}) the rest is scanned for its end, else no safe skip exists and the queue stops.
     */
    private void reject(ChainError e, boolean mayScan) {
        Reaction reaction = policy.reaction(e.rule());
        if (reaction == Reaction.TOLERATE) reaction = Reaction.SKIP; // only reached for errors that cannot be tolerated
        if (reaction == Reaction.SKIP && !(mayScan && findEnd())) reaction = Reaction.NEEDS_RESET;
        observer.chainRejected(index(), e, reaction);
        if (reaction == Reaction.NEEDS_RESET) {
            brokenBy = e;
            return;
        }
        int id = memory.readLe16(ring.descId(slot)) & 0xffff;
        Chain placeholder = new Chain(id, List.of(), List.of(), 0, 0, slots, List.of(), order.nextSequence());
        take();
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
        long d = ring.desc(usedPos);
        memory.writeLe32(d + 8, (int) written);
        memory.writeLe16(d + 12, (short) chain.id());
        int flags = PackedRing.usedBits(usedWrap) | (written > 0 ? PackedRing.F_WRITE : 0);
        memory.writeLe16Release(d + 14, (short) flags);
        usedPos += chain.ringSlots();
        if (usedPos >= q) {
            usedPos -= q;
            usedWrap = !usedWrap;
        }
        heldSlots -= chain.ringSlots();
        slotsSincePublish += chain.ringSlots();
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
                    reason = String.format("driver event DESC off %d wrap %d, used moved %d slots to %d wrap %d",
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
    public long base() {
        return PackedRing.offWrap(availPos, availWrap) | (long) PackedRing.offWrap(usedPos, usedWrap) << 16;
    }
}
