package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
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
import java.util.ArrayList;
import java.util.List;

import static dev.pvkit.sdk.vhostuser.RecordingBackendObserver.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The observation stream of a whole session: the Java front-end negotiates the way QEMU does for a vhost-user-blk
 * device (initialisation, driver start with inflight tracking, memory hot-plug, configuration write, dirty log,
 * stop, reset) and the test compares every {@code BackendObserver} event, in order and with its values, with the
 * steps it took. {@link NegotiationMonitor} then shows that a conformance check needs nothing else.
 */
class NegotiationTraceTest {

    static final long LOW = 0x100000;
    static final long HIGH = 0x1_0000_0000L;
    static final long RINGS = LOW;
    static final long DATA = LOW + 0x400000;
    static final Duration WAIT = Duration.ofSeconds(10);
    static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8;

    @TempDir
    Path dir;
    final RecordingBackendObserver recorder = new RecordingBackendObserver();
    final NegotiationMonitor monitor = new NegotiationMonitor();
    VhostUserBackend backend;
    OwnedGuestMemory guest;

    /** The echo device with one queue, so the trace stays readable. */
    static final class OneQueueEcho extends EchoDevice {
        @Override
        public int queueCount() {
            return 1;
        }
    }

    @BeforeEach
    void serve() {
        backend = VhostUserBackend.serve(new OneQueueEcho(), dir.resolve("trace.sock"),
                VhostUserBackend.Options.defaults().withObserver(NegotiationMonitor.both(recorder, monitor)));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(LOW, 16 << 20), new OwnedGuestMemory.Placement(HIGH, 1 << 20)));
    }

    @AfterEach
    void stop() {
        backend.close();
        guest.close();
    }

    @Test
    void everyStepOfAQemuLikeSessionIsPublishedInOrderWithItsValues() throws Exception {
        long offered = new OneQueueEcho().features() | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES)
                | VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
        long wanted = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        long acked = wanted | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES);
        long protocol = ProtocolFeatures.OFFERED;
        String map = "memoryMapped " + hex(LOW) + "+0x1000000 " + hex(HIGH) + "+0x100000";
        List<String> expected = new ArrayList<>(List.of("connected"));

        try (VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, wanted, protocol);
             EventFd err = EventFd.create(); EventFd logged = EventFd.create(); Memfd log = Memfd.create("trace-log", 4096)) {
            VhostUserFrontend v = fe.vhost();
            expected.addAll(List.of(
                    "featuresOffered " + hex(offered), "handled GET_FEATURES features=" + hex(offered),
                    "protocolFeaturesOffered " + hex(protocol), "handled GET_PROTOCOL_FEATURES features=" + hex(protocol),
                    "protocolFeaturesAcknowledged " + hex(protocol), "handled SET_PROTOCOL_FEATURES features=" + hex(protocol),
                    "handled SET_OWNER",
                    "featuresAcknowledged " + hex(acked), "handled SET_FEATURES features=" + hex(acked),
                    map, "handled SET_MEM_TABLE regions=2"));

            // The rest of QEMU's initialisation: queue count, slots, the back-end channel, the config space.
            assertThat(v.getQueueNum()).isEqualTo(1);
            assertThat(v.getMaxMemSlots()).isEqualTo(509);
            v.openBackendChannel();
            v.getConfig(0, 8);
            expected.addAll(List.of("handled GET_QUEUE_NUM queues=1", "handled GET_MAX_MEM_SLOTS slots=509", "handled SET_BACKEND_REQ_FD",
                    "configRead 0 8", "handled GET_CONFIG offset=0 size=8"));

            // The driver starts: status, inflight area, the ring, its error eventfd, DRIVER_OK.
            v.setStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
            fe.enableInflightTracking(1, 16);
            long inflightSize = InflightArea.bytes(1, 16);
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            long desc = RINGS, avail = RINGS + 0x8000, used = RINGS + 0xc000;
            v.setVringErr(0, err);
            v.setStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
            expected.addAll(List.of(
                    "statusWritten 0xb", "handled SET_STATUS status=0xb",
                    "handled GET_INFLIGHT_FD queues=1 queue_size=16 size=" + hex(inflightSize) + " offset=0x0",
                    "handled SET_INFLIGHT_FD queues=1 queue_size=16 size=" + hex(inflightSize) + " offset=0x0",
                    "queueSize 0 16", "handled SET_VRING_NUM queue=0 num=16",
                    "queueAddressesSet 0 " + hex(fe.user(desc)) + " " + hex(fe.user(avail)) + " " + hex(fe.user(used)),
                    "handled SET_VRING_ADDR queue=0 desc=" + hex(fe.user(desc)) + " used=" + hex(fe.user(used)) + " avail="
                            + hex(fe.user(avail)) + " flags=0x0 log=0x0",
                    "queueBase 0 0", "handled SET_VRING_BASE queue=0 base=0",
                    "queueEventFdSet 0 CALL true", "handled SET_VRING_CALL queue=0 fd=set",
                    "queueAddresses 0 " + hex(desc) + " " + hex(avail) + " " + hex(used), "queueStarted 0",
                    "queueEventFdSet 0 KICK true", "handled SET_VRING_KICK queue=0 fd=set",
                    "queueEnabled 0 true", "handled SET_VRING_ENABLE queue=0 enable=1",
                    "queueEventFdSet 0 ERR true", "handled SET_VRING_ERR queue=0 fd=set",
                    "statusWritten 0xf", "handled SET_STATUS status=0xf"));

            // I/O makes no control events; a refused message makes exactly one.
            fe.memory().write(DATA, new byte[]{1, 2, 3}, 0, 3);
            int id = q.post(List.of(new Segment(DATA, 3)), List.of(new Segment(DATA + 64, 3)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 3));
            assertThatThrownBy(() -> v.setVringNum(0, 3)).isInstanceOf(FrontendException.class);
            expected.add("rejected SET_VRING_NUM [queue size] -> failure status");

            // Memory hot-unplug and plug: the running ring moves to each new map.
            MemoryRegion high = guest.memory().regions().get(1);
            v.remMemReg(high);
            v.addMemReg(guest, high);
            String restarted = "queueAddresses 0 " + hex(desc) + " " + hex(avail) + " " + hex(used);
            expected.addAll(List.of(restarted, "queueStarted 0", "memoryMapped " + hex(LOW) + "+0x1000000",
                    "handled REM_MEM_REG gpa=" + hex(HIGH) + " size=0x100000 user=" + hex(high.userAddress()) + " offset=0x0",
                    restarted, "queueStarted 0", map,
                    "handled ADD_MEM_REG gpa=" + hex(HIGH) + " size=0x100000 user=" + hex(high.userAddress()) + " offset=0x0"));

            // A configuration write, then migration's dirty log.
            v.setConfig(4, new byte[]{1, 2, 3, 4});
            v.setLogBase(log.fd(), 4096, 0);
            v.setLogFd(logged);
            expected.addAll(List.of("configWritten 4 01020304 true", "handled SET_CONFIG offset=4 size=4",
                    "handled SET_LOG_BASE size=0x1000 offset=0x0", "handled SET_LOG_FD"));

            // Stop as QEMU does: disable, status 0, ask where the ring stands; then the deprecated reset.
            v.setVringEnable(0, false);
            v.setStatus(0);
            assertThat(v.getVringBase(0)).isEqualTo(1);
            v.resetOwner();
            expected.addAll(List.of("queueEnabled 0 false", "handled SET_VRING_ENABLE queue=0 enable=0",
                    "statusWritten 0x0", "handled SET_STATUS status=0x0",
                    "queueStopped 0 1", "handled GET_VRING_BASE queue=0 base=1",
                    "deviceReset RESET_OWNER", "handled RESET_OWNER"));
        }
        expected.add("disconnected front-end closed the connection");

        assertThat(recorder.awaitDisconnected(WAIT)).containsExactlyElementsOf(expected);
        assertThat(monitor.findings()).as("a well-behaved session breaks no ordering rule").isEmpty();
    }

    @Test
    void aMonitorTellsOrderingMistakesFromTheStreamAlone() throws Exception {
        // A sloppy front-end (PVKit serves it; the order is the driver's business): FEATURES_OK before SET_FEATURES,
        // a ring enabled before its addresses, DRIVER_OK before any memory table.
        try (VhostUserFrontend v = VhostUserFrontend.connect(backend.socketPath())) {
            v.getFeatures();
            v.getProtocolFeatures();
            v.setProtocolFeatures(ProtocolFeatures.OFFERED);
            v.setStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK);
            v.setFeatures(VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES));
            v.setVringNum(0, 16);
            v.setVringEnable(0, true);
            v.setStatus(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK);
        }
        recorder.awaitDisconnected(WAIT);
        assertThat(monitor.findings()).containsExactly(
                "FEATURES_OK (status 0xb) before features were acknowledged",
                "queue 0 enabled before SET_VRING_ADDR",
                "DRIVER_OK (status 0xf) before any memory table");
    }
}
