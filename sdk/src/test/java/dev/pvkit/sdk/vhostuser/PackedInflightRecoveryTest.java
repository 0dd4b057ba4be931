package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedInflightTracker;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Packed-ring inflight recovery, in one process: a "crash" drops the device queue and its view of the inflight
 * area at a chosen point, a new queue maps the same area (as a restarted back-end would) and recovers. Lists
 * complete out of order first, so used descriptors overwrite the ring slots of lists still in flight, which can
 * then only come back from the area's copy.
 */
class PackedInflightRecoveryTest {
    static final long BASE = 0x100000;
    static final long SIZE = 4 << 20;
    static final long RING = BASE;
    static final long DRIVER_EVENT = BASE + 0x8000;
    static final long DEVICE_EVENT = BASE + 0xc000;
    static final long TABLES = BASE + 0x10000;
    static final long DATA = BASE + 0x100000;
    static final int Q = 8;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED)
            | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);

    final List<AutoCloseable> open = new ArrayList<>();
    int areaFd = -1;
    long areaSize;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open) c.close();
        if (areaFd >= 0) Syscalls.closeQuietly(areaFd);
    }

    /** A new mapping of the shared area, as a (re)started back-end gets it. */
    InflightArea mapArea(boolean initialise) {
        if (areaFd < 0) {
            areaSize = InflightArea.bytes(1, Q);
            areaFd = Syscalls.memfdCreate("test-inflight", areaSize);
        }
        InflightArea a = new InflightArea(MappedMemory.shared(areaFd, 0, areaSize), 1, Q);
        if (initialise) a.initialise();
        open.add(a);
        return a;
    }

    enum Crash { BETWEEN_COMPLETIONS, BEFORE_USED_WRITTEN, AFTER_USED_WRITTEN }

    /** Stops the "process" at a point of a completion: throws out of the tracker, as a kill would stop it there. */
    static final class Killed extends RuntimeException {
    }

    static PackedInflightTracker crashing(PackedInflightTracker t, Crash crash, boolean[] armed) {
        return new PackedInflightTracker() {
            public Recovery recover(int usedOffWrap, IntUnaryOperator flagsAt) {
                return t.recover(usedOffWrap, flagsAt);
            }

            public void attach(int usedOffWrap) {
                t.attach(usedOffWrap);
            }

            public int taken(int slot, int slots, int id, long[] addr, int[] len, int[] flags) {
                return t.taken(slot, slots, id, addr, len, flags);
            }

            public int skipped(int slot, int slots, int id) {
                return t.skipped(slot, slots, id);
            }

            public void completing(int handle, int usedOffWrap) {
                t.completing(handle, usedOffWrap);
                if (armed[0] && crash == Crash.BEFORE_USED_WRITTEN) throw new Killed();
            }

            public void completed(int handle, int usedOffWrap) {
                if (armed[0] && crash == Crash.AFTER_USED_WRITTEN) throw new Killed();
                t.completed(handle, usedOffWrap);
            }
        };
    }

    static long echo(GuestMemory m, Chain c) {
        ChainReader in = c.reader(m);
        byte[] data = in.readBytes((int) in.remaining());
        byte[] rev = new byte[data.length];
        for (int i = 0; i < data.length; i++) rev[i] = data[data.length - 1 - i];
        ChainWriter out = c.writer(m);
        out.write(rev, 0, (int) Math.min(rev.length, out.remaining()));
        return out.written();
    }

    final Map<Integer, byte[]> payloads = new HashMap<>();
    final Map<Integer, Long> outputs = new HashMap<>();
    final List<Integer> completed = new ArrayList<>();

    int post(GuestMemory m, PackedDriverQueue driver, int n, String text, int readableParts, boolean indirect) {
        return post(m, driver, n, text, readableParts, 2, indirect);
    }

    int post(GuestMemory m, PackedDriverQueue driver, int n, String text, int readableParts, int writableParts, boolean indirect) {
        byte[] p = text.getBytes(StandardCharsets.US_ASCII);
        long in = DATA + 0x1000L * n;
        m.write(in, p, 0, p.length);
        List<Segment> readable = new ArrayList<>();
        int step = (p.length + readableParts - 1) / readableParts;
        for (int off = 0; off < p.length; off += step) readable.add(new Segment(in + off, Math.min(step, p.length - off)));
        List<Segment> writable = writableParts == 1 ? List.of(new Segment(in + 0x800, 64))
                : List.of(new Segment(in + 0x800, 32), new Segment(in + 0x820, 32));
        int id = driver.post(readable, writable, indirect);
        assertThat(payloads.put(id, p)).as("id reused while outstanding").isNull();
        outputs.put(id, in + 0x800);
        return id;
    }

    void reap(GuestMemory m, PackedDriverQueue driver) {
        for (DriverQueue.Used u : driver.reap()) {
            byte[] p = payloads.remove(u.id());
            assertThat(p).as("buffer %d completed once", u.id()).isNotNull();
            assertThat(u.length()).isEqualTo(p.length);
            byte[] back = new byte[p.length];
            m.read(outputs.get(u.id()), back, 0, back.length);
            for (int k = 0; k < p.length; k++) assertThat(back[k]).isEqualTo(p[p.length - 1 - k]);
            completed.add(u.id());
        }
    }

    @ParameterizedTest
    @EnumSource(Crash.class)
    void listsWhoseSlotsWereOverwrittenAreResubmittedFromTheArea(Crash crash) {
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(BASE, SIZE)) {
            GuestMemory m = owned.memory();
            PackedRing ring = new PackedRing(Q, RING, DRIVER_EVENT, DEVICE_EVENT);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, FEATURES, new IndirectArea(TABLES, 4), 0, true);
            QueueConfig config = QueueConfig.of(0, Q, RING, DRIVER_EVENT, DEVICE_EVENT, FEATURES);

            boolean[] armed = {false};
            PackedDeviceQueue first = new PackedDeviceQueue(m, config);
            first.trackInflight(crashing(mapArea(true).packedTracker(0, Q), crash, armed), true);

            int a = post(m, driver, 0, "A-stalled-three-slots", 2, false); // slots 0..3 (2 readable + 2 writable)
            int b = post(m, driver, 1, "B-fast", 1, false);                 // slots 4..6
            int c = post(m, driver, 2, "C-indirect", 2, true);              // slot 7
            driver.publish();
            Chain ca = first.poll();
            Chain cb = first.poll();
            Chain cc = first.poll();
            assertThat(first.poll()).isNull();
            assertThat(List.of(ca.id(), cb.id(), cc.id())).containsExactly(a, b, c);

            // B completes while A is stalled: its used descriptor lands on slot 0, A's first descriptor.
            first.complete(cb, echo(m, cb));
            first.publish();
            assertThat(m.readLe16(ring.descId(0)) & 0xffff).isEqualTo(b);
            assertThat(PackedRing.isUsed(m.readLe16(ring.descFlags(0)) & 0xffff, true)).isTrue();
            reap(m, driver);
            assertThat(completed).containsExactly(b);

            // The driver may use the three slots B freed while A and C are out: the next ones are slots 0 and 1 of
            // the next lap, so D's descriptors overwrite A's first two.
            int d = post(m, driver, 3, "D-after-B", 1, 1, false);
            driver.publish();
            Chain cd = first.poll();
            assertThat(cd.id()).isEqualTo(d);
            assertThat(m.readLe64(ring.desc(0))).isEqualTo(DATA + 0x3000);
            assertThat(m.readLe64(ring.desc(1))).isEqualTo(DATA + 0x3800);

            // Then the crash, at one of three points of C's completion (or between completions).
            if (crash != Crash.BETWEEN_COMPLETIONS) {
                armed[0] = true;
                try {
                    first.complete(cc, echo(m, cc));
                    throw new AssertionError("not killed");
                } catch (Killed expected) {
                    // the process is gone here
                }
            }
            // The driver reaps what it sees while the back-end is down.
            reap(m, driver);

            // A restarted back-end: the same area mapped again, the base from the driver (ignored with a record).
            long used = (driver.base() >>> 16) & 0xffff;
            PackedDeviceQueue second = new PackedDeviceQueue(m, config.withBase(used | used << 16));
            second.trackInflight(mapArea(false).packedTracker(0, Q), true);
            int e = post(m, driver, 4, "E-new", 1, true);
            driver.publish();
            for (int round = 0; round < 10 && !payloads.isEmpty(); round++) {
                Chain ch;
                while ((ch = second.poll()) != null) {
                    second.complete(ch, echo(m, ch));
                    second.publish();
                }
                reap(m, driver);
            }
            assertThat(completed).containsExactlyInAnyOrder(a, b, c, d, e);
            assertThat(driver.outstanding()).isZero();
            assertThat(second.inFlight()).isZero();
            assertThat(second.isBroken()).isFalse();

            // A third start from the same area after a clean run finds nothing to do and goes on.
            PackedDeviceQueue third = new PackedDeviceQueue(m, config.withBase(second.base()));
            third.trackInflight(mapArea(false).packedTracker(0, Q), true);
            assertThat(third.poll()).isNull();
            assertThat(third.base()).isEqualTo(second.base());
        }
    }

    @Test
    void aFreshAreaKeepsTheQueueBase() {
        try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(BASE, SIZE)) {
            GuestMemory m = owned.memory();
            PackedRing ring = new PackedRing(Q, RING, DRIVER_EVENT, DEVICE_EVENT);
            PackedDriverQueue driver = new PackedDriverQueue(m, ring, FEATURES, IndirectArea.NONE, 3, false);
            QueueConfig config = QueueConfig.of(0, Q, RING, DRIVER_EVENT, DEVICE_EVENT, FEATURES).withBase(driver.base());
            PackedDeviceQueue q = new PackedDeviceQueue(m, config);
            q.trackInflight(mapArea(true).packedTracker(0, Q), true);
            assertThat(q.base()).isEqualTo(driver.base());
            int id = post(m, driver, 0, "hello", 1, false);
            driver.publish();
            Chain c = q.poll();
            assertThat(c.id()).isEqualTo(id);
            q.complete(c, echo(m, c));
            q.publish();
            reap(m, driver);
            assertThat(completed).containsExactly(id);
        }
    }

    /** Whatever the area holds, recovery reads only inside it and resubmits only lists that pass validation. */
    @Test
    void aCorruptedAreaNeverLeadsOutsideMemory() {
        Random rnd = new Random(7);
        for (int run = 0; run < 200; run++) {
            try (OwnedGuestMemory owned = OwnedGuestMemory.anonymous(BASE, SIZE)) {
                GuestMemory m = owned.memory();
                PackedRing ring = new PackedRing(Q, RING, DRIVER_EVENT, DEVICE_EVENT);
                new PackedDriverQueue(m, ring, FEATURES, IndirectArea.NONE, 0, true);
                InflightArea area = mapArea(run == 0);
                MappedMemory view = MappedMemory.shared(areaFd, 0, areaSize);
                try {
                    ByteBuffer b = view.chunkAt(0);
                    for (int i = 0; i < InflightArea.queueBytes(Q); i++) {
                        if (rnd.nextInt(4) == 0) b.put(i, (byte) rnd.nextInt());
                    }
                    // A plausible header, so the entries are looked at.
                    b.putShort(8, (short) InflightArea.VERSION);
                    b.putShort(10, (short) Q);
                    b.putShort(12, (short) Q);
                    b.putLong(16, (1L << 32) | rnd.nextInt(1 << 16));
                    for (int e = 0; e < Q; e++) {
                        int at = InflightArea.PACKED_HEADER + InflightArea.PACKED_ENTRY * e;
                        if (rnd.nextBoolean()) b.put(at, (byte) (1 + rnd.nextInt(2)));
                        if (rnd.nextBoolean()) b.putShort(at + 2, (short) rnd.nextInt(Q + 2));
                        if (rnd.nextBoolean()) b.putShort(at + 4, (short) (1 + rnd.nextInt(3)));
                        if (rnd.nextBoolean()) b.putLong(at + 16, BASE + DATA + rnd.nextInt(0x1000));
                    }
                } finally {
                    view.close();
                }
                QueueConfig config = QueueConfig.of(0, Q, RING, DRIVER_EVENT, DEVICE_EVENT, FEATURES)
                        .withPolicy(rnd.nextBoolean() ? ValidationPolicy.skipInvalid() : ValidationPolicy.strict());
                PackedDeviceQueue q = new PackedDeviceQueue(m, config);
                q.trackInflight(area.packedTracker(0, Q), true);
                for (int i = 0; i < 2 * Q; i++) {
                    Chain c = q.poll();
                    if (c == null) break;
                    for (Segment s : c.readable()) assertThat(m.contains(s.address(), s.unsignedLength())).isTrue();
                    for (Segment s : c.writable()) assertThat(m.contains(s.address(), s.unsignedLength())).isTrue();
                    q.complete(c, 0);
                    q.publish();
                }
            }
        }
    }
}
