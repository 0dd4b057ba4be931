package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.SharedMemory;
import dev.pvkit.sdk.frontend.SingleFileGuest;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.ProcMaps;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static dev.pvkit.sdk.vhostuser.EchoDevice.echo;

/**
 * Reconfiguration while rings run, where getting the order wrong unmaps memory a ring still uses (each of these
 * crashed the JVM or hung the control thread before its fix): an inflight area replaced under running rings, a new
 * memory map refused half way through moving the rings, and a ring the front-end keeps busy forever — which must
 * neither keep the control thread from the rings' locks nor outlive the session's memory. And a call descriptor
 * swapped for one that cannot be signalled, which used to end the worker serving every ring.
 */
class RunningRingsReconfigurationTest {

    static final long MiB = 1 << 20;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    VhostUserBackend backend;
    final RejectionRecorder recorder = new RejectionRecorder();
    final List<String> rejected = recorder.rejected;
    final List<String> ended = recorder.ended;

    /** The echo device, taking {@code delayNanos} per request on queue 0 (a disk with some latency). */
    static final class SlowEchoDevice extends EchoDevice {
        volatile long delayNanos;

        @Override
        public long process(int queue, dev.pvkit.sdk.virtqueue.Chain chain, GuestMemory memory) {
            if (queue == 0 && delayNanos > 0) java.util.concurrent.locks.LockSupport.parkNanos(delayNanos);
            return super.process(queue, chain, memory);
        }
    }

    final SlowEchoDevice device = new SlowEchoDevice();

    @BeforeEach
    void serve() {
        backend = VhostUserBackend.serve(device, dir.resolve("reconf.sock"), VhostUserBackend.Options.defaults().withObserver(recorder));
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void theInflightAreaOfRunningRingsIsNotReplaced() {
        // Both rings record what they take in the inflight area. Replacing it while they run once unmapped it
        // under them: the next request they took was recorded into unmapped memory (SIGSEGV).
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 * MiB)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED)) {
            fe.enableInflightTracking(2, 16);
            FrontendQueue q0 = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            FrontendQueue q1 = fe.addQueue(1, 16, 0x110000, IndirectArea.NONE);
            echo(guest.memory(), q0, 0x200000, 0x201000);
            boolean refused = false;
            try (VhostUserFrontend.InflightArea other = freshArea(2, 16)) {
                fe.vhost().setInflightFd(other);
            } catch (FrontendException e) {
                refused = true;
            }
            for (int i = 0; i < 20; i++) {
                echo(guest.memory(), q0, 0x210000 + i * 0x100, 0x220000 + i * 0x100);
                echo(guest.memory(), q1, 0x230000 + i * 0x100, 0x240000 + i * 0x100);
            }
            assertThat(refused).as("SET_INFLIGHT_FD refused while the rings run").isTrue();
            assertThat(rejected).containsExactly("SET_INFLIGHT_FD rings running -> failure status");
            // Once the rings are stopped, a new area is taken.
            fe.vhost().getVringBase(0);
            fe.vhost().getVringBase(1);
            try (VhostUserFrontend.InflightArea other = freshArea(2, 16)) {
                fe.vhost().setInflightFd(other);
            }
            assertThat(rejected).hasSize(1);
        }

        // GET_INFLIGHT_FD would replace it too. Its reply is a body, not a status, so the refusal closes the connection.
        rejected.clear();
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 * MiB)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED)) {
            fe.enableInflightTracking(2, 16);
            FrontendQueue q0 = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            fe.addQueue(1, 16, 0x110000, IndirectArea.NONE);
            echo(guest.memory(), q0, 0x200000, 0x201000);
            try (VhostUserFrontend.InflightArea replaced = fe.vhost().getInflightFd(2, 16)) {
                echo(guest.memory(), q0, 0x202000, 0x203000); // (where the old area was unmapped under queue 0)
                throw new AssertionError("GET_INFLIGHT_FD was served while the rings ran");
            } catch (FrontendException e) {
                assertThat(e).hasMessageContaining("closed the connection");
            }
            assertThat(rejected).containsExactly("GET_INFLIGHT_FD rings running -> connection closed");
        }
        HostileFrontendProperties.wellBehavedSession(backend.socketPath());
    }

    @Test
    void aMapThatLeavesARunningRingOutsideIsRefusedAndTheOldMapStays() {
        // A SET_MEM_TABLE of region A alone would leave queue 1 pointing nowhere: it is refused as a whole. (Refusing
        // it half way once unmapped the new regions under queue 0, which had already moved to them: a crash.)
        withRingsInTwoRegions("shrinking-guest", t -> {
            refusedAndNothingChanged(t, () -> t.fe().vhost().setMemTable(t.guest().shared().first(1)), "SET_MEM_TABLE ring address");
            // REM_MEM_REG of the region under a running ring is refused the same way.
            refusedAndNothingChanged(t, () -> t.fe().vhost().remMemReg(t.guest().shared().regions().get(1)), "REM_MEM_REG ring address");
        });
    }

    @Test
    void aMapThatOneRunningRingCannotUseIsRefusedBeforeAnyRingMoves() {
        // The new map keeps A and moves B 8 bytes up in guest-physical space: queue 1's areas translate, but to
        // addresses its descriptor table may not have (16-byte alignment), which only building its queue finds out —
        // after queue 0 was already rebuilt on the new map. Refusing it then unmapped the new map under queue 0
        // (SIGSEGV on its next request).
        withRingsInTwoRegions("misaligning-guest", t -> {
            SharedMemory.SharedRegion keep = t.guest().shared().regions().get(0);
            SharedMemory.SharedRegion moved = t.guest().shared().regions().get(1);
            MemoryRegion r = moved.region();
            SharedMemory shifted = new SharedMemory(List.of(keep, new SharedMemory.SharedRegion(
                    new MemoryRegion(r.guestPhysical() + 8, r.size(), r.userAddress(), t.guest().mapping().slice(MiB, MiB)),
                    moved.fd(), moved.fileOffset())));
            refusedAndNothingChanged(t, () -> t.fe().vhost().setMemTable(shifted), "SET_MEM_TABLE ring set-up");
        });
    }

    /** Queue 0's ring in region A, queue 1's in region B of one memfd, both served once. */
    record TwoRegionRings(String name, SingleFileGuest guest, VirtioFrontend fe, FrontendQueue q0, FrontendQueue q1) {
        static final long A = 0x100000, B = 0x1000_0000L;
    }

    private void withRingsInTwoRegions(String name, java.util.function.Consumer<TwoRegionRings> check) {
        long a = TwoRegionRings.A, b = TwoRegionRings.B;
        List<SingleFileGuest.Part> parts = List.of(new SingleFileGuest.Part(a, MiB, 0), new SingleFileGuest.Part(b, MiB, MiB));
        try (SingleFileGuest guest = SingleFileGuest.create(name, 2 * MiB, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
            FrontendQueue q0 = fe.addQueue(0, 16, a, IndirectArea.NONE);
            FrontendQueue q1 = fe.addQueue(1, 16, b, IndirectArea.NONE);
            echo(guest.memory(), q0, a + 0x80000, b + 0x80000);
            echo(guest.memory(), q1, b + 0x90000, a + 0x90000);
            check.accept(new TwoRegionRings(name, guest, fe, q0, q1));
        }
    }

    /**
     * {@code change} is refused with {@code rejection}, and nothing changed: the back-end maps what it mapped before,
     * both rings go on serving across both regions, and the device does not need a reset.
     */
    private void refusedAndNothingChanged(TwoRegionRings t, org.assertj.core.api.ThrowableAssert.ThrowingCallable change,
                                          String rejection) {
        long a = TwoRegionRings.A, b = TwoRegionRings.B;
        List<ProcMaps.Mapping> before = MemoryRegionsTest.backendMappings("/memfd:" + t.name(), t.guest());
        rejected.clear();
        assertThatThrownBy(change).isInstanceOf(FrontendException.class);
        assertThat(rejected).singleElement().asString().startsWith(rejection);

        assertThat(MemoryRegionsTest.backendMappings("/memfd:" + t.name(), t.guest())).as("the old map is in force")
                .isEqualTo(before);
        for (int i = 0; i < 20; i++) {
            echo(t.guest().memory(), t.q0(), a + 0xa0000 + i * 0x100, b + 0xa0000 + i * 0x100);
            echo(t.guest().memory(), t.q1(), b + 0xb0000 + i * 0x100, a + 0xb0000 + i * 0x100);
        }
        assertThat(t.fe().vhost().getStatus() & DeviceControl.DEVICE_NEEDS_RESET).isZero();
    }

    @Test
    void aRingTheFrontEndKeepsBusyLeavesRoomForTheOtherRingsAndTheControlThread() throws Exception {
        // The front-end keeps queue 0's available ring ahead of the device (which takes 200 µs a request) forever:
        // a saturated disk, nothing wrong. Its worker (one for all queues) once stayed in queue 0 as long as there
        // was work, holding its lock: queue 1 was never served and the next message that locks all rings
        // (SET_MEM_TABLE here) was never answered.
        device.delayNanos = 200_000;
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 * MiB)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED);
             EventFd kick = EventFd.create()) {
            FrontendQueue q0 = fe.addQueue(0, 64, 0x100000, IndirectArea.NONE);
            FrontendQueue q1 = fe.addQueue(1, 16, 0x110000, IndirectArea.NONE);
            try (BusyRing busy = BusyRing.start(guest.memory(), q0, 0x100000, kick)) {
                fe.vhost().setVringKick(0, kick); // the worker looks at queue 0: from now on it always has work
                busy.awaitServed(100);

                echo(guest.memory(), q1, 0x202000, 0x203000);
                CompletableFuture<Void> remap = CompletableFuture.runAsync(() -> fe.vhost().setMemTable(guest));
                remap.get(5, TimeUnit.SECONDS);
                long served = busy.served();
                busy.awaitServed(served + 100); // queue 0 runs on the new map
            }
            assertThat(rejected).isEmpty();
        }
    }

    @Test
    void aSessionThatEndsWhileARingIsBusyStopsItsWorkerBeforeUnmappingMemory() throws Exception {
        // The front-end hangs up while queue 0 still has work. The session used to give its worker 5 s to stop, then
        // unmapped guest memory under it anyway: the worker's next read of the ring was a SIGSEGV.
        device.delayNanos = 200_000;
        OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 * MiB)));
        try (guest; EventFd kick = EventFd.create()) {
            VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED);
            boolean hungUp = false;
            try (BusyRing busy = BusyRing.start(guest.memory(), fe.addQueue(0, 64, 0x100000, IndirectArea.NONE), 0x100000, kick)) {
                fe.vhost().setVringKick(0, kick);
                busy.awaitServed(100);
                fe.close();
                hungUp = true;
                await("the session's end after the front-end hung up").atMost(Duration.ofSeconds(3)).pollInSameThread()
                        .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> !ended.isEmpty());
                assertThat(ended).as("the session ended soon after the front-end hung up").hasSize(1);
                // The used index itself, not the busy thread's count of it: that count lags the ring by a poll.
                int usedAtEnd = busy.usedIndex();
                Thread.sleep(200);
                assertThat(busy.usedIndex()).as("nothing is served after the session ended").isEqualTo(usedAtEnd);
            } finally {
                if (!hungUp) fe.close();
            }
        }
        HostileFrontendProperties.wellBehavedSession(backend.socketPath());
    }

    @Test
    void aCallDescriptorThatCannotBeSignalledEndsATurnNotTheWorker() {
        // SET_VRING_CALL with a socket shut down for writing instead of an eventfd: signalling it fails (EPIPE). That
        // exception once ended the worker thread, and with it every ring it served: queue 1 was never served again.
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 * MiB)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED)) {
            FrontendQueue q0 = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            FrontendQueue q1 = fe.addQueue(1, 16, 0x110000, IndirectArea.NONE);
            dev.pvkit.sdk.os.UnixSocket[] pair = dev.pvkit.sdk.os.UnixSocket.pair();
            try {
                fe.vhost().send(FrontendRequest.SET_VRING_CALL, MessageChannel.u64(0), pair[1].fd());
                pair[1].shutdown();
                for (int i = 0; i < 3; i++) {
                    echo(guest.memory(), q0, 0x200000 + i * 0x100, 0x201000 + i * 0x100); // reaped without the call
                    echo(guest.memory(), q1, 0x202000 + i * 0x100, 0x203000 + i * 0x100);
                }
            } finally {
                pair[0].close();
                pair[1].close();
            }
        }
    }

    /** An inflight area this front-end made itself: a zeroed memfd of the size PVKit's layout needs. */
    private static VhostUserFrontend.InflightArea freshArea(int queues, int queueSize) {
        long size = InflightArea.bytes(queues, queueSize);
        int fd = dev.pvkit.sdk.os.Syscalls.memfdCreate("other-inflight", size);
        return new VhostUserFrontend.InflightArea(fd, size, 0, queues, queueSize);
    }


    /**
     * A front-end thread that keeps a split ring's available index ahead of the used index, forever: one chain
     * posted through the driver model, then its head made available again and again (the device returns it each
     * time), kicking {@code kick} whenever the device had caught up. The ring's parts are where
     * {@link VirtioFrontend#addQueue} puts them; the chain's buffers are 512 KiB above them.
     */
    static final class BusyRing implements AutoCloseable {
        private final Thread thread;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final CountDownLatch started = new CountDownLatch(1);
        private final AtomicLong served = new AtomicLong();
        private final GuestMemory memory;
        private final long usedIdx;

        private BusyRing(GuestMemory m, FrontendQueue q, long ringArea, EventFd kick) {
            long availIdx = ringArea + 0x8000 + 2;
            long availRing = ringArea + 0x8000 + 4;
            long used = ringArea + 0xc000 + 2;
            this.memory = m;
            this.usedIdx = used;
            int size = q.size();
            long buffer = ringArea + 0x80000;
            m.write(buffer, new byte[]{9, 8, 7, 6}, 0, 4);
            int head = q.post(List.of(new Segment(buffer, 4)), List.of(new Segment(buffer + 0x1000, 4)), false);
            q.publishAndKick();
            q.awaitUsed(1, WAIT);
            this.thread = new Thread(() -> {
                int avail = m.readLe16(availIdx) & 0xffff;
                int done = m.readLe16Acquire(used) & 0xffff;
                started.countDown();
                while (!stop.get()) {
                    int now = m.readLe16Acquire(used) & 0xffff;
                    served.addAndGet((now - done) & 0xffff);
                    done = now;
                    int ahead = (avail - done) & 0xffff;
                    if (ahead < size - 1) {
                        m.writeLe16(availRing + 2L * (avail % size), (short) head);
                        avail = (avail + 1) & 0xffff;
                        m.writeLe16Release(availIdx, (short) avail);
                        if (ahead == 0) kick.signal();
                    } else {
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                }
            }, "busy-front-end");
            thread.setDaemon(true);
        }

        static BusyRing start(GuestMemory m, FrontendQueue q, long ringArea, EventFd kick) throws InterruptedException {
            BusyRing b = new BusyRing(m, q, ringArea, kick);
            b.thread.start();
            b.started.await();
            return b;
        }

        /** The used index as the device last published it. */
        int usedIndex() {
            return memory.readLe16Acquire(usedIdx) & 0xffff;
        }

        /** Requests the device returned since this started. */
        long served() {
            return served.get();
        }

        void awaitServed(long n) {
            await().atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .untilAsserted(() -> assertThat(served()).as("requests served on the busy ring").isGreaterThanOrEqualTo(n));
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join();
        }
    }
}
