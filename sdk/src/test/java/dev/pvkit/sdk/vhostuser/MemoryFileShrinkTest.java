package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.SharedMemory;
import dev.pvkit.sdk.frontend.SingleFileGuest;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.os.Syscalls;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.pvkit.sdk.vhostuser.EchoDevice.echo;

/**
 * A front-end that shrinks a memory file after sharing it. Touching the lost pages raises SIGBUS, which HotSpot
 * turns into an InternalError at the faulting access: on a worker it must stop that ring only, on the control
 * thread end the session only; the back-end goes on accepting.
 */
class MemoryFileShrinkTest {

    static final long MiB = 1 << 20;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    static final Duration WAIT = Duration.ofSeconds(10);
    static final long A = 0x100000, B = 0x1000_0000L;

    @TempDir
    Path dir;
    VhostUserBackend backend;

    @BeforeEach
    void serve() {
        backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("shrink.sock")); // one worker: both rings on it
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void aShrunkMemoryFileStopsTheRingOnItThenEndsTheSessionAndTheNextIsServed() {
        try (CapturedStderr log = new CapturedStderr()) {
            try (Memfd file = Memfd.create("unsealed-guest", 2 * MiB); // not sealed: it can shrink
                 MappedMemory mapping = file.map()) {
                SharedMemory shared = new SharedMemory(List.of(part(file, mapping, A, 0), part(file, mapping, B, MiB)));
                try (VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), shared, FEATURES, ProtocolFeatures.OFFERED);
                     EventFd err1 = EventFd.create(); EventFd kick1 = EventFd.create(); EventFd kick1Again = EventFd.create()) {
                    FrontendQueue q0 = fe.addQueue(0, 16, A, IndirectArea.NONE);
                    FrontendQueue q1 = fe.addQueue(1, 16, B, IndirectArea.NONE);
                    fe.vhost().setVringErr(1, err1);
                    echo(shared.memory(), q0, A + 0x80000, A + 0x90000);
                    echo(shared.memory(), q1, B + 0x80000, B + 0x90000);

                    Syscalls.ftruncate(file.fd(), MiB); // region B, and ring 1 in it, are gone (for us too: not touched again)

                    // A new kick fd for the running ring makes the worker look at ring 1 at once.
                    fe.vhost().setVringKick(1, kick1);
                    kick1.signal();
                    awaitTrue(() -> err1.drain() > 0, "ring 1's error eventfd");
                    assertThat(fe.vhost().getStatus() & Session.DEVICE_NEEDS_RESET).isEqualTo(Session.DEVICE_NEEDS_RESET);
                    echo(shared.memory(), q0, A + 0xa0000, A + 0xb0000); // the worker's other ring still serves
                    assertThat(log.text()).contains("queue 1 stopped: memory fault").contains("shrank");

                    // Restarting ring 1 makes the control thread read its used index: the session ends.
                    fe.vhost().getVringBase(1);
                    assertThatThrownBy(() -> fe.vhost().setVringKick(1, kick1Again)).isInstanceOf(RuntimeException.class);
                    awaitTrue(() -> log.text().contains("session ended: memory fault"), "the session's end logged");
                    assertThat(log.text()).contains("vhost-user session ended: memory fault");
                }
            }
            // A well-behaved front-end is served afterwards; its memory file is sealed, so no warning this time.
            try (SingleFileGuest guest = SingleFileGuest.create("next-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)));
                 VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
                FrontendQueue q = fe.addQueue(0, 16, A, IndirectArea.NONE);
                echo(guest.memory(), q, A + 0x80000, A + 0x90000);
                assertThat(fe.vhost().getStatus() & Session.DEVICE_NEEDS_RESET).isZero();
            }
            assertThat(backend.sessions()).isEqualTo(2);
            assertThat(log.text().split("not sealed against shrinking", -1)).as("one warning, for the first session's two regions")
                    .hasSize(2);
            assertThat(log.text()).contains("SET_MEM_TABLE: the region file is not sealed against shrinking (F_SEAL_SHRINK)");
        }
    }

    @Test
    void aShrunkDirtyLogStopsTheRingThatLogsIntoItAndTheNextSessionIsServed() {
        // Live migration: every write the device makes is logged in a bitmap file the front-end shared. A front-end
        // that truncates it leaves the worker's next log write faulting (SIGBUS): that ring stops, nothing else.
        long logAll = VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
        try (CapturedStderr log = new CapturedStderr()) {
            try (SingleFileGuest guest = SingleFileGuest.create("logged-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)));
                 VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED);
                 Memfd bitmap = Memfd.create("unsealed-log", 4096); EventFd err = EventFd.create()) {
                FrontendQueue q = fe.addQueue(0, 16, A, IndirectArea.NONE);
                fe.vhost().setVringErr(0, err);
                fe.vhost().setLogBase(bitmap.fd(), 4096, 0);
                fe.vhost().setFeatures(fe.features() | logAll);
                echo(guest.memory(), q, A + 0x80000, A + 0x90000);
                try (MappedMemory view = bitmap.map()) {
                    assertThat(view.chunkAt(0).get((int) ((A + 0x90000) / 4096 / 8))).as("the written page is logged").isNotZero();
                }

                Syscalls.ftruncate(bitmap.fd(), 0);
                theNextRequestStopsRing0(fe, q, err, log, "SET_LOG_BASE: the log file is not sealed against shrinking");
            }
            aSecondSessionIsServed();
        }
    }

    @Test
    void aShrunkInflightAreaStopsTheRingThatRecordsIntoIt() {
        // The back-end hands out a sealed area; a front-end may hand back any file of the right size
        // (SET_INFLIGHT_FD), here an unsealed copy, which it then truncates while the ring records into it.
        try (CapturedStderr log = new CapturedStderr()) {
            try (SingleFileGuest guest = SingleFileGuest.create("inflight-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)));
                 VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED);
                 EventFd err = EventFd.create()) {
                try (VhostUserFrontend.InflightArea handedOut = fe.vhost().getInflightFd(EchoDevice.QUEUES, 16);
                     Memfd copy = Memfd.create("unsealed-inflight", handedOut.size());
                     MappedMemory from = MappedMemory.shared(handedOut.fd(), 0, handedOut.size());
                     MappedMemory to = copy.map()) {
                    to.chunkAt(0).put(0, from.chunkAt(0), 0, (int) handedOut.size());
                    fe.vhost().setInflightFd(new VhostUserFrontend.InflightArea(copy.fd(), handedOut.size(), 0,
                            handedOut.queues(), handedOut.queueSize()));
                    FrontendQueue q = fe.addQueue(0, 16, A, IndirectArea.NONE);
                    fe.vhost().setVringErr(0, err);
                    echo(guest.memory(), q, A + 0x80000, A + 0x90000);

                    Syscalls.ftruncate(copy.fd(), 0);
                    theNextRequestStopsRing0(fe, q, err, log, "SET_INFLIGHT_FD: the inflight file is not sealed against shrinking");
                }
            }
            aSecondSessionIsServed();
        }
    }

    /** A request on ring 0 faults on the truncated file: the ring stops (error eventfd, NEEDS_RESET, log lines). */
    private static void theNextRequestStopsRing0(VirtioFrontend fe, FrontendQueue q, EventFd err, CapturedStderr log,
                                                 String sealWarning) {
        q.post(List.of(new dev.pvkit.sdk.virtqueue.Segment(A + 0xa0000, 4)),
                List.of(new dev.pvkit.sdk.virtqueue.Segment(A + 0xb0000, 4)), false);
        q.publishAndKick();
        awaitTrue(() -> err.drain() > 0, "ring 0's error eventfd");
        assertThat(fe.vhost().getStatus() & Session.DEVICE_NEEDS_RESET).isEqualTo(Session.DEVICE_NEEDS_RESET);
        assertThat(log.text()).contains("queue 0 stopped: memory fault").contains(sealWarning);
    }

    /** The back-end goes on: a second, well-behaved session is served. */
    private void aSecondSessionIsServed() {
        try (SingleFileGuest guest = SingleFileGuest.create("next-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
            echo(guest.memory(), fe.addQueue(0, 16, A, IndirectArea.NONE), A + 0x80000, A + 0x90000);
        }
        assertThat(backend.sessions()).isEqualTo(2);
    }

    @Test
    void pvkitsFrontendSealsTheFilesItShares() {
        try (SingleFileGuest guest = SingleFileGuest.create("sealed-guest", MiB, List.of(new SingleFileGuest.Part(A, MiB, 0)))) {
            int fd = guest.shared().regions().get(0).fd();
            int both = Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW;
            assertThat(Syscalls.seals(fd) & both).isEqualTo(both);
            assertThatThrownBy(() -> Syscalls.ftruncate(fd, MiB / 2)).hasMessageContaining("ftruncate");
        }
    }

    private static SharedMemory.SharedRegion part(Memfd file, MappedMemory mapping, long gpa, long fileOffset) {
        MemoryRegion r = new MemoryRegion(gpa, MiB, mapping.address() + fileOffset, mapping.slice(fileOffset, MiB));
        return new SharedMemory.SharedRegion(r, file.fd(), fileOffset);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError(what + " within " + WAIT);
            Thread.onSpinWait();
        }
    }

}
