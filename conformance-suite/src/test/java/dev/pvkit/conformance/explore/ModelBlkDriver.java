package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.VirtioBlk;
import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.Message;
import dev.pvkit.sdk.vhostuser.MessageChannel;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A virtio-blk driver in Java, over PVKit's vhost-user front-end, written as a guest driver is: it negotiates what
 * the device offers, reads the configuration, posts header / data / status chains (indirect when it may), kicks as
 * the suppression rules say, and learns of completions only through notifications, handling them with notifications
 * off and looking again after turning them back on. With a {@link DriverFlaw} it makes that one mistake.
 *
 * <p>It reports what an application would see: per request OK or an errno, and the data read.
 */
final class ModelBlkDriver implements AutoCloseable {
    enum AppStatus { OK, EIO, ENOTSUP, EROFS }

    /** What a request came back as. {@code data}: the bytes read (reads that succeeded), else null. */
    record Io(BlkOp op, AppStatus status, byte[] data) {
    }

    /** The driver gave up: what a kernel would log before it stops using the device. */
    static final class DriverError extends RuntimeException {
        DriverError(String message) {
            super(message);
        }
    }

    /** Requests stayed outstanding: nothing the driver heard of completed them. */
    static final class Hang extends RuntimeException {
        Hang(String message) {
            super(message);
        }
    }

    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 8 << 20;
    private static final long RING = GUEST_BASE;
    private static final long INDIRECT = GUEST_BASE + 0x10000;
    private static final int TABLE_ENTRIES = 8;
    private static final long DATA = GUEST_BASE + 0x100000;
    private static final long SLOT_BYTES = 0x8000;       // per request in flight: header, status, up to 16 KiB data
    private static final int MAX_IN_FLIGHT = 16;
    private static final int S_OK = 0;                     // virtio-blk status byte values
    private static final int S_IOERR = 1;
    private static final int S_UNSUPP = 2;
    private static final byte POISON = (byte) 0xEE;        // in status and read buffers before the device writes them
    private static final int UNHANDLED_LIMIT = 3;          // SPURIOUS_NOTIFICATION_FATAL gives up after this many in a row

    private final DriverFlaw flaw;
    private final Duration hangAfter;
    private final OwnedGuestMemory guest;
    private final VirtioFrontend fe;
    private final FrontendQueue queue;
    private final GuestMemory memory;
    private final MessageChannel backend;
    private final Thread configListener;
    private volatile boolean configChanged;
    private final boolean packed;
    private final boolean eventIdx;
    private final boolean indirect;
    private final boolean readOnly;
    private final boolean discard;
    private final boolean writeZeroes;
    private final int segMax;
    private final int queueSize;
    private long capacitySectors;

    private record Pending(int index, int slot, BlkOp op, int ringSlots) {
    }

    private final Map<Integer, Pending> byId = new HashMap<>();
    private final ArrayDeque<Pending> inPostOrder = new ArrayDeque<>();
    private final ArrayDeque<DriverQueue.Used> backlog = new ArrayDeque<>();
    private Io[] done = new Io[0];
    private int doneCount;
    private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
    private int completions;      // SPLIT_INDEX_WRAP: a 32-bit count compared with the 16-bit used index
    private int packedUsedSlot;   // PACKED_WRAP_COUNTER: where it looks for the next used descriptor
    private int unhandledInARow;

    /**
     * Connects to the device at {@code socket}; {@code transportQueueSize} is the ring size the transport says the
     * device takes (a PCI device's queue_size), {@code hangAfter} how long it waits for a notification.
     */
    ModelBlkDriver(Path socket, DriverFlaw flaw, int transportQueueSize, Duration hangAfter) {
        this.flaw = flaw;
        this.hangAfter = hangAfter;
        this.guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
        VirtioFrontend f = null;
        try {
            long wanted = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                    | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED)
                    | VirtioFeatures.bit(VirtioBlk.F_SEG_MAX) | VirtioFeatures.bit(VirtioBlk.F_FLUSH)
                    | VirtioFeatures.bit(VirtioBlk.F_BLK_SIZE) | VirtioFeatures.bit(VirtioBlk.F_RO)
                    | VirtioFeatures.bit(VirtioBlk.F_DISCARD) | VirtioFeatures.bit(VirtioBlk.F_WRITE_ZEROES);
            f = VirtioFrontend.start(socket, guest, wanted, ProtocolFeatures.OFFERED);
            long features = f.features();
            this.packed = VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
            this.eventIdx = VirtioFeatures.has(features, VirtioFeatures.EVENT_IDX);
            this.indirect = VirtioFeatures.has(features, VirtioFeatures.INDIRECT_DESC);
            this.readOnly = VirtioFeatures.has(features, VirtioBlk.F_RO);
            this.discard = VirtioFeatures.has(features, VirtioBlk.F_DISCARD);
            this.writeZeroes = VirtioFeatures.has(features, VirtioBlk.F_WRITE_ZEROES);
            ByteBuffer cfg = ByteBuffer.wrap(f.vhost().getConfig(0, 24)).order(ByteOrder.LITTLE_ENDIAN);
            this.capacitySectors = cfg.getLong(0);
            this.segMax = VirtioFeatures.has(features, VirtioBlk.F_SEG_MAX) ? Math.max(1, cfg.getInt(12)) : 1;
            this.queueSize = flaw == DriverFlaw.ASSUMES_QUEUE_SIZE_256 ? 256 : Math.min(256, transportQueueSize);
            boolean mayIndirect = indirect || flaw == DriverFlaw.ASSUMES_INDIRECT;
            this.queue = f.addQueue(0, queueSize, RING, mayIndirect ? new IndirectArea(INDIRECT, TABLE_ENTRIES) : IndirectArea.NONE);
            this.backend = f.vhost().openBackendChannel();
        } catch (FrontendException e) {
            if (f != null) f.close();
            guest.close();
            throw new DriverError("device set-up failed: " + e.getMessage());
        } catch (RuntimeException e) {
            if (f != null) f.close();
            guest.close();
            throw e;
        }
        this.fe = f;
        this.memory = f.memory();
        for (int i = 0; i < MAX_IN_FLIGHT; i++) freeSlots.add(i);
        this.configListener = new Thread(this::listenForConfigChanges, "model-driver-config");
        configListener.setDaemon(true);
        configListener.start();
    }

    /** The configuration change interrupt: a thread of its own, as an interrupt handler would be. */
    private void listenForConfigChanges() {
        try {
            while (true) {
                try (Message m = backend.readRequest()) {
                    if (m.requestId() == 2) configChanged = true; // BACKEND_CONFIG_CHANGE_MSG
                }
            }
        } catch (RuntimeException closed) {
            // the channel closed with the driver
        }
    }

    long capacitySectors() {
        takeConfigChange();
        return capacitySectors;
    }

    boolean readOnly() {
        return readOnly;
    }

    private void takeConfigChange() {
        if (!configChanged) return;
        configChanged = false;
        if (flaw == DriverFlaw.NEVER_REREADS_CAPACITY) return;
        capacitySectors = ByteBuffer.wrap(fe.vhost().getConfig(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /**
     * Runs {@code ops} together (they must not overlap): posts them all, as the ring allows, and waits for every one.
     * {@code writeData} holds each write's data (null for the others), by index in {@code ops}.
     */
    List<Io> run(List<BlkOp> ops, List<byte[]> writeData) {
        if (ops.size() > MAX_IN_FLIGHT) throw new IllegalArgumentException("at most " + MAX_IN_FLIGHT + " requests at once");
        done = new Io[ops.size()];
        doneCount = 0;
        for (int i = 0; i < ops.size(); i++) {
            BlkOp op = ops.get(i);
            if (changesData(op) && readOnly && flaw != DriverFlaw.WRITES_READ_ONLY_DISK) {
                finish(i, new Io(op, AppStatus.EROFS, null)); // refused here, as a read-only block device does
                continue;
            }
            if (op.kind() == BlkOp.Kind.DISCARD && !discard || op.kind() == BlkOp.Kind.WRITE_ZEROES && !writeZeroes) {
                finish(i, new Io(op, AppStatus.ENOTSUP, null)); // the device does not do it: never sent
                continue;
            }
            while (!post(i, op, writeData.get(i))) {
                kick();  // the ring is full: what is posted must reach the device before waiting on it
                awaitCompletions(1);
            }
        }
        kick();
        while (doneCount < ops.size()) awaitCompletions(ops.size() - doneCount);
        takeConfigChange();
        return List.of(done);
    }

    /** Whether {@code op} changes what the disk holds (refused on a read-only disk). */
    static boolean changesData(BlkOp op) {
        return op.kind() == BlkOp.Kind.WRITE || op.kind() == BlkOp.Kind.DISCARD || op.kind() == BlkOp.Kind.WRITE_ZEROES;
    }

    private void finish(int index, Io io) {
        if (done[index] == null) doneCount++;
        done[index] = io;
    }

    /** Lays one request out and makes it available; false when the ring has no room for it now. */
    private boolean post(int index, BlkOp op, byte[] data) {
        boolean ranges = op.kind() == BlkOp.Kind.DISCARD || op.kind() == BlkOp.Kind.WRITE_ZEROES;
        int pieces = op.kind() == BlkOp.Kind.FLUSH || ranges ? 0 : Math.min(op.blocks(), segMax);
        boolean useIndirect = (indirect || flaw == DriverFlaw.ASSUMES_INDIRECT) && pieces + 2 >= 3;
        // A chain, indirect entries included, never exceeds the queue size; a table never its own room.
        pieces = Math.min(pieces, Math.max(1, queueSize - 2));
        if (useIndirect) pieces = Math.min(pieces, TABLE_ENTRIES - 2);
        if (op.kind() == BlkOp.Kind.READ || op.kind() == BlkOp.Kind.WRITE) pieces = Math.max(1, pieces);
        int readableCount = 1 + (op.kind() == BlkOp.Kind.WRITE ? pieces : 0) + (ranges ? 1 : 0);
        int writableCount = 1 + (op.kind() == BlkOp.Kind.READ ? pieces : 0);
        if (freeSlots.isEmpty() || !queue.driver().canPost(readableCount, writableCount, useIndirect)) {
            if (inPostOrder.isEmpty()) throw new IllegalStateException("the model cannot fit " + op + " into an empty ring of " + queueSize);
            return false;
        }
        int slot = freeSlots.poll();
        long base = DATA + SLOT_BYTES * slot;
        long header = base;
        long status = base + 0x10;
        long dataAt = base + 0x1000;
        int type = switch (op.kind()) {
            case READ -> VirtioBlk.T_IN;
            case WRITE -> VirtioBlk.T_OUT;
            case FLUSH -> VirtioBlk.T_FLUSH;
            case DISCARD -> VirtioBlk.T_DISCARD;
            case WRITE_ZEROES -> VirtioBlk.T_WRITE_ZEROES;
        };
        long first = (long) op.block() * (BlkOp.BLOCK_BYTES / 512);
        long sector = op.kind() == BlkOp.Kind.READ || op.kind() == BlkOp.Kind.WRITE ? first : 0;
        memory.write(header, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type).putLong(8, sector).array(), 0, 16);
        memory.fill(status, 1, POISON);
        List<Segment> readable = new ArrayList<>();
        List<Segment> writable = new ArrayList<>();
        readable.add(new Segment(header, 16));
        if (ranges) {
            // One 16-byte segment: first sector, sectors, flags (no unmap).
            memory.write(dataAt, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, first)
                    .putInt(8, op.blocks() * (BlkOp.BLOCK_BYTES / 512)).array(), 0, 16);
            readable.add(new Segment(dataAt, 16));
        }
        if (pieces > 0) {
            int bytes = op.blocks() * BlkOp.BLOCK_BYTES;
            if (op.kind() == BlkOp.Kind.WRITE) memory.write(dataAt, data, 0, bytes);
            else memory.fill(dataAt, bytes, POISON);
            List<Segment> target = op.kind() == BlkOp.Kind.WRITE ? readable : writable;
            int per = bytes / pieces / 512 * 512;
            for (int i = 0; i < pieces; i++) {
                int len = i == pieces - 1 ? bytes - per * (pieces - 1) : per;
                target.add(new Segment(dataAt + (long) per * i, len));
            }
        }
        writable.add(new Segment(status, 1));
        int id = queue.post(readable, writable, useIndirect);
        Pending p = new Pending(index, slot, op, useIndirect ? 1 : readable.size() + writable.size());
        byId.put(id, p);
        inPostOrder.add(p);
        return true;
    }

    private void kick() {
        if (flaw == DriverFlaw.ASSUMES_EVENT_IDX && !eventIdx) {
            // Decides as if EVENT_IDX were on: reads an event index the device never writes without it.
            long availIdxAt = packed ? 0 : queue.driverArea() + 2;
            int before = packed ? 0 : memory.readLe16(availIdxAt) & 0xffff;
            queue.driver().publish();
            if (packed) return; // the device event area holds no index without EVENT_IDX: it never kicks
            int after = memory.readLe16(availIdxAt) & 0xffff;
            int event = memory.readLe16(queue.deviceArea() + 4 + 8L * queueSize) & 0xffff;
            if (((after - event - 1) & 0xffff) < ((after - before) & 0xffff)) queue.kick();
            return;
        }
        queue.publishAndKick();
    }

    /** Waits for notifications and handles them until {@code wanted} more requests are done (or one, when posting waits). */
    private void awaitCompletions(int wanted) {
        int target = Math.min(wanted, inPostOrder.size());
        int before = doneCount;
        long deadline = System.nanoTime() + hangAfter.toNanos();
        while (doneCount - before < Math.max(1, target)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new Hang(inPostOrder.size() + " request(s) outstanding " + hangAfter.toMillis()
                        + " ms after the last one completed (" + completions + " completed so far)");
            }
            if (queue.awaitNotification(Duration.ofNanos(Math.min(left, 20_000_000L)))) {
                if (onNotification()) deadline = System.nanoTime() + hangAfter.toNanos();
            }
            takeConfigChange();
        }
    }

    /** The used-buffer notification handler; true when it completed something. */
    private boolean onNotification() {
        queue.driver().setInterruptsWanted(false);
        List<DriverQueue.Used> got = new ArrayList<>();
        while (true) {
            List<DriverQueue.Used> more = fastPathSaysNothing() ? List.of() : queue.driver().reap();
            if (more.isEmpty()) {
                queue.driver().setInterruptsWanted(true);
                GuestMemory.fullFence();
                more = fastPathSaysNothing() ? List.of() : queue.driver().reap();  // what came while turning them on
                if (more.isEmpty()) break;
                queue.driver().setInterruptsWanted(false);
            }
            got.addAll(more);
        }
        if (flaw == DriverFlaw.ONE_COMPLETION_PER_NOTIFICATION) {
            backlog.addAll(got);
            got = backlog.isEmpty() ? List.of() : List.of(backlog.poll());
        }
        if (got.isEmpty()) {
            if (flaw == DriverFlaw.SPURIOUS_NOTIFICATION_FATAL && ++unhandledInARow >= UNHANDLED_LIMIT) {
                throw new DriverError(UNHANDLED_LIMIT + " notifications in a row with nothing used: the driver stops listening");
            }
            return false;
        }
        unhandledInARow = 0;
        for (DriverQueue.Used u : got) complete(u);
        return true;
    }

    /** SPLIT_INDEX_WRAP and PACKED_WRAP_COUNTER look before they reap, wrongly; everyone else just reaps. */
    private boolean fastPathSaysNothing() {
        if (flaw == DriverFlaw.SPLIT_INDEX_WRAP && !packed) {
            int usedIdx = memory.readLe16(queue.deviceArea() + 2) & 0xffff;
            return !(usedIdx > completions);
        }
        if (flaw == DriverFlaw.PACKED_WRAP_COUNTER && packed) {
            int flags = memory.readLe16(queue.descriptors() + 16L * packedUsedSlot + 14) & 0xffff;
            boolean avail = (flags & (1 << 7)) != 0;
            boolean used = (flags & (1 << 15)) != 0;
            return !(avail && used); // wrap counter taken as 1 forever
        }
        return false;
    }

    private void complete(DriverQueue.Used u) {
        Pending p = flaw == DriverFlaw.ASSUMES_IN_ORDER ? inPostOrder.peekFirst() : byId.get(u.id());
        if (p == null) throw new DriverError("completion of buffer " + u.id() + ", which the driver did not post");
        inPostOrder.remove(p);
        byId.values().remove(p);
        completions++;
        packedUsedSlot = (packedUsedSlot + p.ringSlots()) % queueSize;
        long base = DATA + SLOT_BYTES * p.slot();
        int status = memory.readU8(base + 0x10) & 0xff;
        AppStatus app = switch (flaw) {
            case IGNORES_ERROR_STATUS -> AppStatus.OK;
            case UNSUPP_TAKEN_AS_SUCCESS -> status == S_IOERR ? AppStatus.EIO : AppStatus.OK;
            default -> status == S_OK ? AppStatus.OK : status == S_UNSUPP ? AppStatus.ENOTSUP : AppStatus.EIO;
        };
        byte[] data = null;
        if (p.op().kind() == BlkOp.Kind.READ && app == AppStatus.OK) {
            data = new byte[p.op().blocks() * BlkOp.BLOCK_BYTES];
            memory.read(base + 0x1000, data, 0, data.length);
        }
        freeSlots.add(p.slot());
        finish(p.index(), new Io(p.op(), app, data));
    }

    @Override
    public void close() {
        try {
            fe.close();
        } finally {
            backend.close();
            guest.close();
        }
    }
}
