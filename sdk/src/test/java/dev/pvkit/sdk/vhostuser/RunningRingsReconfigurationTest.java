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
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.ProcMaps;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reconfiguration while rings run, where getting the order wrong unmaps memory a ring still uses (each of these
 * crashed the JVM before its fix): an inflight area replaced under running rings, and a new memory map refused half
 * way through moving the rings.
 */
class RunningRingsReconfigurationTest {

    static final long MiB = 1 << 20;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    VhostUserBackend backend;
    final List<String> rejected = new CopyOnWriteArrayList<>();
    final List<String> ended = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() {
        backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("reconf.sock"),
                VhostUserBackend.Options.defaults().withObserver(new BackendObserver() {
                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        rejected.add(request + " " + rule + " -> " + answer);
                    }

                    @Override
                    public void disconnected(String reason) {
                        ended.add(reason);
                    }
                }));
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
    void aMapThatOneRunningRingCannotUseIsRefusedBeforeAnyRingMoves() {
        // Queue 0 runs in region A, queue 1 in region B. The new map keeps A and moves B 8 bytes up in guest-physical
        // space: queue 1's areas translate, but to addresses its descriptor table may not have (16-byte alignment),
        // which only building its queue finds out — after queue 0 was already rebuilt on the new map. Refusing it
        // then unmapped the new map under queue 0 (SIGSEGV on its next request).
        long a = 0x100000, b = 0x1000_0000L;
        List<SingleFileGuest.Part> parts = List.of(new SingleFileGuest.Part(a, MiB, 0), new SingleFileGuest.Part(b, MiB, MiB));
        try (SingleFileGuest guest = SingleFileGuest.create("misaligning-guest", 2 * MiB, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
            FrontendQueue q0 = fe.addQueue(0, 16, a, IndirectArea.NONE);
            FrontendQueue q1 = fe.addQueue(1, 16, b, IndirectArea.NONE);
            echo(guest.memory(), q0, a + 0x80000, b + 0x80000);
            echo(guest.memory(), q1, b + 0x90000, a + 0x90000);
            List<ProcMaps.Mapping> before = MemoryRegionsTest.backendMappings("/memfd:misaligning-guest", guest);

            SharedMemory.SharedRegion keep = guest.shared().regions().get(0);
            SharedMemory.SharedRegion moved = guest.shared().regions().get(1);
            MemoryRegion r = moved.region();
            SharedMemory shifted = new SharedMemory(List.of(keep, new SharedMemory.SharedRegion(
                    new MemoryRegion(r.guestPhysical() + 8, r.size(), r.userAddress(), guest.mapping().slice(MiB, MiB)),
                    moved.fd(), moved.fileOffset())));
            assertThatThrownBy(() -> fe.vhost().setMemTable(shifted)).isInstanceOf(FrontendException.class);
            assertThat(rejected).singleElement().asString().startsWith("SET_MEM_TABLE ring set-up");

            assertThat(MemoryRegionsTest.backendMappings("/memfd:misaligning-guest", guest)).as("the old map is in force")
                    .isEqualTo(before);
            for (int i = 0; i < 20; i++) {
                echo(guest.memory(), q0, a + 0xa0000 + i * 0x100, b + 0xa0000 + i * 0x100);
                echo(guest.memory(), q1, b + 0xb0000 + i * 0x100, a + 0xb0000 + i * 0x100);
            }
            assertThat(fe.vhost().getStatus() & Session.DEVICE_NEEDS_RESET).isZero();
        }
    }

    /** An inflight area this front-end made itself: a zeroed memfd of the size PVKit's layout needs. */
    private static VhostUserFrontend.InflightArea freshArea(int queues, int queueSize) {
        long size = InflightArea.bytes(queues, queueSize);
        int fd = dev.pvkit.sdk.os.Syscalls.memfdCreate("other-inflight", size);
        return new VhostUserFrontend.InflightArea(fd, size, 0, queues, queueSize);
    }

    /** Four bytes from {@code in} come back reversed at {@code out} (the echo device). */
    static void echo(GuestMemory m, FrontendQueue q, long in, long out) {
        m.write(in, new byte[]{1, 2, 3, 4}, 0, 4);
        int id = q.post(List.of(new Segment(in, 4)), List.of(new Segment(out, 4)), false);
        q.publishAndKick();
        assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 4));
        byte[] back = new byte[4];
        m.read(out, back, 0, 4);
        assertThat(back).containsExactly(4, 3, 2, 1);
    }
}
