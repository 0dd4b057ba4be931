package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The accepted paths of the three requests QEMU rarely sends: RESET_OWNER, SET_LOG_FD and SET_VRING_ERR. */
class OwnerLogAndErrorFdTest {

    static final long GUEST = 0x100000;
    static final long RINGS = GUEST;
    static final long DATA = GUEST + 0x400000;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    final RecordingBackendObserver recorder = new RecordingBackendObserver();
    EchoDevice device;
    VhostUserBackend backend;
    OwnedGuestMemory guest;

    @BeforeEach
    void serve() {
        device = new EchoDevice();
        backend = VhostUserBackend.serve(device, dir.resolve("rare.sock"), VhostUserBackend.Options.defaults().withObserver(recorder));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST, 16 << 20)));
    }

    @AfterEach
    void stop() {
        backend.close();
        guest.close();
    }

    VirtioFrontend connect() {
        return VirtioFrontend.start(backend.socketPath(), guest, FEATURES, ProtocolFeatures.OFFERED);
    }

    @Test
    void resetOwnerStopsTheRingsForgetsTheDriverAndTheSessionCanStartAgain() {
        try (VirtioFrontend fe = connect()) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            echo(fe, q, DATA);
            fe.vhost().setStatus(15);

            fe.vhost().resetOwner();
            assertThat(fe.vhost().getStatus()).as("status after RESET_OWNER").isZero();
            assertThat(device.events).endsWith("reset");
            assertThat(recorder.events()).contains("deviceReset RESET_OWNER", "handled RESET_OWNER");
            // The ring is stopped: buffers posted now are not taken.
            int stranded = q.post(List.of(new Segment(DATA, 3)), List.of(new Segment(DATA + 64, 3)), false);
            q.publishAndKick();
            sleep(100);
            assertThat(q.driver().reap()).as("nothing served after the reset (chain %d)", stranded).isEmpty();

            // Ownership and features again, a fresh ring: served.
            fe.vhost().setOwner();
            fe.vhost().setFeatures(fe.features());
            assertThat(device.events).endsWith("features " + Long.toHexString(FEATURES));
            FrontendQueue again = fe.addQueue(0, 16, RINGS + 0x20000, IndirectArea.NONE);
            echo(fe, again, DATA + 0x1000);
        }
    }

    @Test
    void theLogEventfdIsSignalledAfterLoggedWritesOnly() throws Exception {
        long logAll = VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
        try (VirtioFrontend fe = connect(); Memfd log = Memfd.create("log-fd-bitmap", 4096);
             EventFd logged = EventFd.create(); EventFd replaced = EventFd.create()) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.vhost().setLogBase(log.fd(), 4096, 0);
            fe.vhost().setLogFd(replaced);
            int withOne = FdCount.open();
            fe.vhost().setLogFd(logged);                     // a second SET_LOG_FD replaces (and closes) the first
            BackendSessionTest.awaitFdCount(withOne);
            assertThat(recorder.events("handled SET_LOG_FD")).hasSize(2);

            echo(fe, q, DATA);
            assertThat(logged.drain()).as("signals without LOG_ALL").isZero();

            fe.vhost().setFeatures(fe.features() | logAll);
            echo(fe, q, DATA + 0x100);
            sleep(50);                                       // the used-ring write may follow the reply by a moment
            assertThat(logged.drain()).as("signals after logged writes").isPositive();
            assertThat(replaced.drain()).as("the replaced eventfd").isZero();
        }
    }

    @Test
    void theErrorEventfdIsSignalledOnceWhenTheRingBreaksAndCanBeCleared() {
        try (VirtioFrontend fe = connect(); EventFd err = EventFd.create()) {
            FrontendQueue q = fe.addQueue(0, 8, RINGS, IndirectArea.NONE);
            fe.vhost().setVringErr(0, err);
            echo(fe, q, DATA);
            assertThat(err.drain()).as("no error while the ring is healthy").isZero();

            q.post(List.of(new Segment(0x10, 8)), List.of(), false);   // a buffer outside guest memory [DRV-SPLIT-044]
            q.publishAndKick();
            // Each poll drains the eventfd: the count that ends the wait is the one checked.
            long signals = await("an ERR signal for the break").atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO)
                    .pollInterval(Duration.ofMillis(1)).until(err::drain, n -> n != 0);
            assertThat(signals).as("ERR signals for the break").isEqualTo(1);
            q.post(List.of(new Segment(DATA, 8)), List.of(), false);
            q.publishAndKick();                                        // more kicks on the broken ring: no new report
            sleep(100);
            assertThat(err.drain()).isZero();
            assertThat(fe.vhost().getStatus() & DeviceControl.DEVICE_NEEDS_RESET).isEqualTo(DeviceControl.DEVICE_NEEDS_RESET);

            fe.vhost().setVringErr(0, null);                          // the no-fd flag clears it
            assertThat(recorder.events("queueEventFdSet 0 ERR")).containsExactly("queueEventFdSet 0 ERR true", "queueEventFdSet 0 ERR false");
        }
    }

    private static void echo(VirtioFrontend fe, FrontendQueue q, long at) {
        fe.memory().write(at, new byte[]{1, 2, 3}, 0, 3);
        int id = q.post(List.of(new Segment(at, 3)), List.of(new Segment(at + 64, 3)), false);
        q.publishAndKick();
        assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 3));
        byte[] back = new byte[3];
        fe.memory().read(at + 64, back, 0, 3);
        assertThat(back).containsExactly(3, 2, 1);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
