package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.RawRingWriter;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A guest for the ring self-test drivers: the real virtio-blk device served over a real vhost-user socket with a
 * {@link BackendRecorder} on the back-end, the Java front-end, memfd guest memory and queue 0 set up by hand (so a
 * driver can lay it out wrongly), driven by the SDK's driver model for valid requests and by a {@link RawRingWriter}
 * for broken ones. Every request is a valid virtio-blk read: a 16-byte header (type IN, sector), 512 writable data
 * bytes and a 1-byte writable status, so only the ring rule a driver means to break is broken.
 */
final class RingRig implements AutoCloseable {
    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 8 << 20;
    static final long RING = GUEST_BASE;                 // descriptors; driver area +32 KiB; device area +48 KiB
    static final long DRIVER_AREA = RING + 0x8000;
    static final long DEVICE_AREA = RING + 0xc000;
    static final long INDIRECT = GUEST_BASE + 0x20000;   // the driver model's tables
    static final long TABLES = GUEST_BASE + 0x40000;     // hand-built tables
    static final long DATA = GUEST_BASE + 0x100000;      // request k: header +0, data +0x1000, status +0x1800, in 0x2000 steps
    static final long OUTSIDE = 0x4000_0000L;            // not guest memory
    static final int Q = 16;
    static final int SECTOR = 512;
    static final Duration WAIT = Duration.ofSeconds(10);

    static final int S_NEXT = SplitRing.F_NEXT;
    static final int S_WRITE = SplitRing.F_WRITE;
    static final int S_INDIRECT = SplitRing.F_INDIRECT;
    static final int P_AVAIL_LAP1 = PackedRing.availBits(true);

    final boolean packed;
    final EventLog log = new EventLog();
    private final Path dir;
    private final VhostUserBackend backend;
    private final OwnedGuestMemory guest;
    private final VirtioFrontend fe;
    private final EventFd kick = EventFd.create();
    private final EventFd call = EventFd.create();
    final RawRingWriter raw;
    SplitRing split;
    PackedRing packedRing;
    DriverQueue driver;
    private int requests;
    private boolean closed;

    private RingRig(boolean packed, long features) {
        this.packed = packed;
        try {
            dir = Files.createTempDirectory("pvkit-ring-selftest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VirtioBlkDevice device = new VirtioBlkDevice(new MemoryBlockStore(1 << 20), BlkOptions.defaults(1 << 20).withPacked(packed));
        backend = VhostUserBackend.serve(device, dir.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withObserver(new BackendRecorder(log)));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
        fe = VirtioFrontend.start(backend.socketPath(), guest, features, ProtocolFeatures.OFFERED);
        raw = new RawRingWriter(guest.memory());
    }

    /** Connects and negotiates VERSION_1, the ring format and, when asked, EVENT_IDX and INDIRECT_DESC. */
    static RingRig connect(boolean packed, boolean eventIdx, boolean indirect) {
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        if (packed) f |= VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        if (eventIdx) f |= VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        if (indirect) f |= VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
        return new RingRig(packed, f);
    }

    /** Connects and starts queue 0 with Q entries at the usual places. */
    static RingRig started(boolean packed, boolean eventIdx, boolean indirect) {
        RingRig r = connect(packed, eventIdx, indirect);
        r.startQueue(Q, RING, DRIVER_AREA, DEVICE_AREA);
        return r;
    }

    GuestMemory memory() {
        return guest.memory();
    }

    /**
     * Lays out queue 0 with the driver model and starts it over vhost-user as QEMU would (num, addresses, base, call,
     * kick, enable). A layout the back-end refuses ends in {@link FrontendException}.
     */
    void startQueue(int size, long desc, long driverArea, long deviceArea) {
        startQueue(size, desc, driverArea, deviceArea, () -> { });
    }

    /** As {@link #startQueue(int, long, long, long)}, running {@code beforeStart} once the driver model laid the ring out. */
    void startQueue(int size, long desc, long driverArea, long deviceArea, Runnable beforeStart) {
        long features = fe.features();
        IndirectArea indirect = new IndirectArea(INDIRECT, 8);
        if (packed) {
            packedRing = new PackedRing(size, desc, driverArea, deviceArea);
            driver = new PackedDriverQueue(memory(), packedRing, features, indirect, 0, true);
        } else {
            split = new SplitRing(size, desc, driverArea, deviceArea);
            if (Integer.bitCount(size) == 1) driver = new SplitDriverQueue(memory(), split, features, indirect, 0);
        }
        beforeStart.run();
        fe.vhost().setVringNum(0, size);
        fe.vhost().setVringAddr(0, fe.user(desc), fe.user(deviceArea), fe.user(driverArea));
        fe.vhost().setVringBase(0, packed ? (1L << 15) | (1L << 31) : 0);
        fe.vhost().setVringCall(0, call);
        fe.vhost().setVringKick(0, kick);
        fe.vhost().setVringEnable(0, true);
    }

    /**
     * Stops queue 0 (GET_VRING_BASE), runs {@code whileStopped}, and starts the ring again at {@code base}
     * (SET_VRING_BASE, SET_VRING_KICK), as QEMU restarts a back-end. A packed base whose available position is ahead
     * of its used one tells the back-end the lists in between are in flight: it holds their slots.
     */
    void restartQueue(long base, Runnable whileStopped) {
        fe.vhost().getVringBase(0);
        whileStopped.run();
        fe.vhost().setVringBase(0, base);
        fe.vhost().setVringKick(0, kick);
    }

    /** Sends SET_VRING_NUM for queue 0 with {@code size}, which the back-end must refuse. */
    void refusedVringNum(int size) {
        try {
            fe.vhost().setVringNum(0, size);
        } catch (FrontendException expected) {
            return;
        }
        throw new AssertionError("the back-end accepted queue size " + size);
    }

    /** Like {@link #startQueue}, for a layout the back-end must refuse: the refusal is the expected outcome. */
    void startRefusedQueue(int size, long desc, long driverArea, long deviceArea) {
        try {
            startQueue(size, desc, driverArea, deviceArea);
        } catch (FrontendException expected) {
            return;
        }
        throw new AssertionError("the back-end started a ring it should have refused");
    }

    // ------------------------------------------------------------------------------------------ valid requests

    /** Where request {@code k}'s header, data and status go. */
    static long header(int k) {
        return DATA + 0x2000L * k;
    }

    static long data(int k) {
        return header(k) + 0x1000;
    }

    static long status(int k) {
        return header(k) + 0x1800;
    }

    /** Writes request {@code k}'s header: a read (type IN) of sector {@code k}. */
    long writeHeader(int k) {
        byte[] h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0).putInt(4, 0).putLong(8, k).array();
        memory().write(header(k), h, 0, h.length);
        memory().writeU8(status(k), (byte) 0xff);
        return header(k);
    }

    /** A valid read through the driver model (direct or indirect), published, with a kick when the device asks. */
    void request(boolean indirect) {
        int k = requests++ % 64;
        writeHeader(k);
        driver.post(List.of(new Segment(header(k), 16)), List.of(new Segment(data(k), SECTOR), new Segment(status(k), 1)), indirect);
        if (driver.publish()) kick();
    }

    /** Waits until {@code n} used entries came back, reaping them. */
    void awaitUsed(int n) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int got = 0;
        while (got < n) {
            got += driver.reap().size();
            if (System.nanoTime() > deadline) throw new AssertionError(got + " of " + n + " requests completed within " + WAIT);
            if (got < n) pause();
        }
    }

    /** {@code n} valid requests, one at a time, alternating direct and (when {@code indirect}) indirect. */
    void requests(int n, boolean indirect) {
        for (int i = 0; i < n; i++) {
            request(indirect && i % 2 == 1);
            awaitUsed(1);
        }
    }

    void kick() {
        kick.signal();
    }

    // ------------------------------------------------------------------------------------------ hand-built rings

    /** Split: makes {@code head} available as the next entry after {@code published} ones, and kicks. */
    void splitExpose(int published, int head) {
        raw.availEntry(split, published & (split.size() - 1), head);
        raw.availIdx(split, published + 1);
        kick();
    }

    /** Split: descriptor {@code i} of the ring's table. */
    void splitDesc(int i, long addr, int len, int flags, int next) {
        raw.splitDescriptor(split, i, addr, len, flags, next);
    }

    /** A descriptor in a hand-built table ({@link #TABLES}), split format. */
    void splitTableEntry(long table, int i, long addr, int len, int flags, int next) {
        raw.splitDescriptorAt(table + 16L * i, addr, len, flags, next);
    }

    /** A descriptor in a hand-built table, packed format (id ignored there). */
    void packedTableEntry(long table, int i, long addr, int len, int flags) {
        raw.packedDescriptorAt(table + 16L * i, addr, len, 0, flags);
    }

    /**
     * Packed: a list from slot 0 of the first lap; {@code slots} rows of (addr, len, id, flags without AVAIL/USED),
     * {@code availBits} per row the AVAIL/USED bits (normally {@link #P_AVAIL_LAP1}). Later slots are written first
     * and the first slot's flags last, with release, as a driver must; then a kick.
     */
    void packedList(long[][] slots, int[] availBits) {
        for (int i = slots.length - 1; i >= 0; i--) {
            long[] s = slots[i];
            long at = packedRing.desc(i);
            memory().writeLe64(at, s[0]);
            memory().writeLe32(at + 8, (int) s[1]);
            memory().writeLe16(at + 12, (short) s[2]);
            int flags = (int) s[3] | availBits[i];
            if (i > 0) memory().writeLe16(at + 14, (short) flags);
            else memory().writeLe16Release(at + 14, (short) flags);
        }
        kick();
    }

    void packedList(long[]... slots) {
        int[] bits = new int[slots.length];
        java.util.Arrays.fill(bits, P_AVAIL_LAP1);
        packedList(slots, bits);
    }

    /** Packed: the driver event suppression word (flags in the high half, off_wrap in the low). */
    void driverEvent(int flags, int offWrap) {
        memory().writeLe32(packedRing.driverEvent(), (flags << 16) | (offWrap & 0xffff));
    }

    // ------------------------------------------------------------------------------------------ ending

    /** Waits (bounded) until the log holds an event {@code what} matches. */
    void awaitEvent(Predicate<Event> what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (log.arrived().stream().noneMatch(what)) {
            if (System.nanoTime() > deadline) throw new AssertionError("expected event not seen within " + WAIT + ": " + log.arrived());
            pause();
        }
    }

    /** Waits until the device refused a chain (the one the driver broke). */
    void awaitRefusal() {
        awaitEvent(e -> e instanceof RingEvent.ChainRefused);
    }

    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Disconnects, stops the back-end (its workers finish their turns first) and returns what was recorded. */
    List<Event> finish() {
        close();
        return log.ordered();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            fe.close();
        } finally {
            try {
                backend.close();
            } finally {
                guest.close();
                kick.close();
                call.close();
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temp dir left behind is harmless
                }
            }
        }
    }

    /** Runs {@code body} on a rig and returns the events, closing the rig whatever happens. */
    static List<Event> run(RingRig rig, java.util.function.Consumer<RingRig> body) {
        try (rig) {
            body.accept(rig);
            return rig.finish();
        }
    }
}
