package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.blk.VirtioBlk;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.BlkRecorder;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtio-blk driver for the blk wrong drivers: a real {@link VirtioBlkDevice} served over a real vhost-user socket,
 * driven by the Java front-end with valid split rings, a {@link BackendRecorder} and a {@link BlkRecorder} on one
 * {@link EventLog}. Requests are laid out as a driver does (16-byte header, data, one status byte), with whatever
 * header and data sizes a test wants; nothing else is ever wrong.
 */
final class BlkRig implements AutoCloseable {
    static final long DISK = 1 << 20;                   // 2048 sectors
    static final long SECTORS = DISK / 512;
    static final int MAX_SEG = 4;                       // max_discard_seg and max_write_zeroes_seg
    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 8 << 20;
    static final long RING = GUEST_BASE;
    static final long INDIRECT = GUEST_BASE + 0x10000;
    static final long DATA = GUEST_BASE + 0x100000;
    static final int QUEUE_SIZE = 64;
    static final Duration WAIT = Duration.ofSeconds(10);

    final EventLog log = new EventLog();
    private final Path dir;
    private final VhostUserBackend backend;
    private final OwnedGuestMemory guest;
    private final VirtioFrontend fe;
    private final FrontendQueue queue;
    private boolean stopped;

    /** A driver's usual features: VERSION_1 and the blk features it can use, RO when the disk has it. */
    static long features(boolean readOnly) {
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        for (int b : new int[]{VirtioBlk.F_SIZE_MAX, VirtioBlk.F_SEG_MAX, VirtioBlk.F_BLK_SIZE, VirtioBlk.F_FLUSH,
                VirtioBlk.F_TOPOLOGY, VirtioBlk.F_DISCARD, VirtioBlk.F_WRITE_ZEROES}) {
            f |= VirtioFeatures.bit(b);
        }
        return readOnly ? f | VirtioFeatures.bit(VirtioBlk.F_RO) : f;
    }

    static BlkOptions options(boolean readOnly) {
        return BlkOptions.defaults(DISK).withPacked(false).withReadOnly(readOnly)
                .withLimits(new BlockLimits(true, 0x3fffff, MAX_SEG, 1, true, 0x3fffff, MAX_SEG, false));
    }

    static BlkRig start() {
        return start(false, features(false));
    }

    /** Serves a 1 MiB disk (read-only or not) and connects a driver that takes {@code wanted} of what it offers. */
    static BlkRig start(boolean readOnly, long wanted) {
        return new BlkRig(readOnly, wanted);
    }

    private BlkRig(boolean readOnly, long wanted) {
        try {
            dir = Files.createTempDirectory("pvkit-blk-selftest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        VirtioBlkDevice device = new VirtioBlkDevice(new MemoryBlockStore(DISK), options(readOnly)).requestListener(new BlkRecorder(log));
        backend = VhostUserBackend.serve(device, dir.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withObserver(new BackendRecorder(log)));
        OwnedGuestMemory g = null;
        VirtioFrontend f = null;
        try {
            g = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
            f = VirtioFrontend.start(dir.resolve("blk.sock"), g, wanted, ProtocolFeatures.OFFERED);
            queue = f.addQueue(0, QUEUE_SIZE, RING, new IndirectArea(INDIRECT, 8));
        } catch (RuntimeException e) {
            if (f != null) f.close();
            if (g != null) g.close();
            backend.close();
            throw e;
        }
        guest = g;
        fe = f;
    }

    /** One request: {@code header} (normally 16 bytes), device-readable {@code out} data, {@code in} device-writable data bytes. */
    record Req(byte[] header, byte[] out, int in) {
        static Req of(int type, long sector, byte[] out, int in) {
            byte[] h = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type).putLong(8, sector).array();
            return new Req(h, out, in);
        }

        static Req read(long sector, int bytes) {
            return of(VirtioBlk.T_IN, sector, new byte[0], bytes);
        }

        static Req write(long sector, int bytes) {
            byte[] data = new byte[bytes];
            for (int i = 0; i < bytes; i++) data[i] = (byte) (i * 7 + sector);
            return of(VirtioBlk.T_OUT, sector, data, 0);
        }

        static Req flush() {
            return of(VirtioBlk.T_FLUSH, 0, new byte[0], 0);
        }

        static Req getId(int bytes) {
            return of(VirtioBlk.T_GET_ID, 0, new byte[0], bytes);
        }

        /** DISCARD or WRITE_ZEROES of {@code count} 8-sector ranges at sectors 0, 16, 32, … with {@code flags}. */
        static Req ranges(int type, int count, int flags) {
            ByteBuffer b = ByteBuffer.allocate(count * 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) b.putLong(16L * i).putInt(8).putInt(flags);
            return of(type, 0, b.array(), 0);
        }

        /** This request's data with {@code extra} more bytes (zeroes) at the end. */
        Req withExtraOut(int extra) {
            return new Req(header, java.util.Arrays.copyOf(out, out.length + extra), in);
        }
    }

    /** Posts {@code r} (header, data, status in separate descriptors), kicks, waits for it; returns the status byte. */
    int submit(Req r) {
        GuestMemory m = fe.memory();
        long header = DATA;
        long data = DATA + 0x1000;
        long status = DATA + 0x800;
        List<Segment> readable = new ArrayList<>();
        List<Segment> writable = new ArrayList<>();
        m.write(header, r.header(), 0, r.header().length);
        readable.add(new Segment(header, r.header().length));
        if (r.out().length > 0) {
            m.write(data, r.out(), 0, r.out().length);
            readable.add(new Segment(data, r.out().length));
        }
        if (r.in() > 0) {
            m.fill(data, r.in(), (byte) 0xEE);
            writable.add(new Segment(data, r.in()));
        }
        m.fill(status, 1, (byte) 0xEE);
        writable.add(new Segment(status, 1));
        queue.post(readable, writable, false);
        queue.publishAndKick();
        List<DriverQueue.Used> used = queue.awaitUsed(1, WAIT);
        if (used.size() != 1) throw new IllegalStateException(used.size() + " used entries for one request");
        byte[] s = new byte[1];
        m.read(status, s, 0, 1);
        return s[0] & 0xff;
    }

    /** Runs {@code requests} in order on a fresh read-write disk with the usual features; returns the events. */
    static List<Event> run(Req... requests) {
        return run(false, features(false), requests);
    }

    static List<Event> run(boolean readOnly, long wanted, Req... requests) {
        try (BlkRig rig = start(readOnly, wanted)) {
            for (Req r : requests) rig.submit(r);
            rig.stop();
            return rig.log.ordered();
        }
    }

    /** Disconnects, so the back-end has seen the whole run when the events are read. */
    void stop() {
        if (stopped) return;
        stopped = true;
        try {
            fe.close();
        } finally {
            backend.close();
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            guest.close();
            try {
                Files.deleteIfExists(dir.resolve("blk.sock"));
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory left behind
            }
        }
    }
}
