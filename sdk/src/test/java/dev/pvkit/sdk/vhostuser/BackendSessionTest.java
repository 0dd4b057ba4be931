package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The Java front-end against a PVKit back-end over a real unix socket, memfd guest memory and eventfds. */
class BackendSessionTest {

    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 16 << 20;
    static final long RINGS = GUEST_BASE;              // queue i's rings at RINGS + i * 64 KiB
    static final long INDIRECT = GUEST_BASE + 0x100000;
    static final long DATA = GUEST_BASE + 0x400000;
    static final long ALL_PROTOCOL = ProtocolFeatures.OFFERED;
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    EchoDevice device;
    VhostUserBackend backend;
    OwnedGuestMemory guest;
    final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void serve() {
        device = new EchoDevice();
        backend = VhostUserBackend.serve(device, dir.resolve("echo.sock"),
                VhostUserBackend.Options.defaults().withWorkers(2).withObserver(new BackendObserver() {
                    @Override
                    public void featuresAcknowledged(long features) {
                        seen.add("features " + Long.toHexString(features));
                    }

                    @Override
                    public void statusWritten(int status) {
                        seen.add("status " + status);
                    }

                    @Override
                    public void queueStarted(int queue) {
                        seen.add("started " + queue);
                    }

                    @Override
                    public void queueStopped(int queue, long base) {
                        seen.add("stopped " + queue + " at " + base);
                    }

                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        seen.add("rejected " + request + " " + rule + " -> " + answer);
                    }
                }));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
    }

    @AfterEach
    void stop() {
        backend.close();
        guest.close();
    }

    VirtioFrontend connect(long features) {
        return VirtioFrontend.start(backend.socketPath(), guest, features, ALL_PROTOCOL);
    }

    static long features(boolean packed) {
        return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | (packed ? VirtioFeatures.bit(VirtioFeatures.RING_PACKED) : 0);
    }

    @Test
    void socketIsOwnerOnlyAndRemovedOnClose() throws Exception {
        Path p = backend.socketPath();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        backend.close();
        assertThat(p).doesNotExist();
    }

    @Test
    void negotiatesFeaturesProtocolFeaturesAndQueues() {
        try (VirtioFrontend fe = connect(features(true))) {
            assertThat(fe.features()).isEqualTo(features(true) | VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES));
            assertThat(fe.protocolFeatures()).isEqualTo(ProtocolFeatures.OFFERED);
            assertThat(fe.vhost().getQueueNum()).isEqualTo(EchoDevice.QUEUES);
            assertThat(fe.vhost().getMaxMemSlots()).isGreaterThanOrEqualTo(509);
            assertThat(device.events).contains("features " + Long.toHexString(features(true)));
            assertThat(seen).contains("features " + Long.toHexString(fe.features()));
        }
    }

    @ParameterizedTest(name = "packed={0}")
    @ValueSource(booleans = {false, true})
    void requestsOnEveryQueueAreProcessed(boolean packed) {
        try (VirtioFrontend fe = connect(features(packed))) {
            List<FrontendQueue> queues = new ArrayList<>();
            for (int i = 0; i < EchoDevice.QUEUES; i++) {
                queues.add(fe.addQueue(i, 64, RINGS + 0x10000L * i, new IndirectArea(INDIRECT + 0x10000L * i, 4)));
            }
            long data = DATA;
            for (int round = 0; round < 3; round++) {
                for (FrontendQueue q : queues) {
                    byte[] payload = new byte[100 + 37 * q.index() + round];
                    for (int k = 0; k < payload.length; k++) payload[k] = (byte) (k + q.index());
                    fe.memory().write(data, payload, 0, payload.length);
                    long out = data + 0x1000;
                    int id = q.post(List.of(new Segment(data, payload.length)),
                            List.of(new Segment(out, 64), new Segment(out + 64, 4096)), round % 2 == 1);
                    q.publishAndKick();
                    List<DriverQueue.Used> used = q.awaitUsed(1, WAIT);
                    assertThat(used).containsExactly(new DriverQueue.Used(id, payload.length));
                    byte[] back = new byte[payload.length];
                    fe.memory().read(out, back, 0, back.length);
                    for (int k = 0; k < payload.length; k++) assertThat(back[k]).isEqualTo(payload[payload.length - 1 - k]);
                    data += 0x2000;
                }
            }
            assertThat(seen).contains("started 0", "started 1", "started 2", "started 3");
        }
    }

    @Test
    void configReadsWritesAndChangeNotification() throws Exception {
        try (VirtioFrontend fe = connect(features(false))) {
            byte[] cfg = fe.vhost().getConfig(0, 8);
            assertThat(ByteBuffer.wrap(cfg).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(EchoDevice.MAGIC);
            fe.vhost().setConfig(4, new byte[]{1, 2, 3, 4});
            assertThat(fe.vhost().getConfig(4, 4)).containsExactly(1, 2, 3, 4);
            assertThatThrownBy(() -> fe.vhost().setConfig(0, new byte[]{9, 9, 9, 9}))
                    .isInstanceOf(FrontendException.class).hasMessageContaining("SET_CONFIG failed");
            assertThat(fe.vhost().getConfig(6, 4)).as("range past the end").isEmpty();

            MessageChannel back = fe.vhost().openBackendChannel();
            assertThat(device.context.announceConfigChange()).isTrue();
            try (Message m = back.readRequest()) {
                assertThat(m.requestId()).isEqualTo(DeviceControl.BACKEND_CONFIG_CHANGE_MSG);
            }
        }
    }

    @Test
    void statusIsStoredAndResetDeviceStopsEverything() {
        try (VirtioFrontend fe = connect(features(false))) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.vhost().setStatus(1 | 2 | 8 | 4);
            assertThat(fe.vhost().getStatus()).isEqualTo(15);
            assertThat(device.events).contains("status 15");

            fe.vhost().resetDevice();
            assertThat(fe.vhost().getStatus()).isZero();
            assertThat(device.events).contains("reset");
            // After a reset the ring is stopped: a new set-up serves again.
            FrontendQueue again = fe.addQueue(0, 16, RINGS + 0x40000, IndirectArea.NONE);
            fe.memory().write(DATA, new byte[]{1, 2, 3}, 0, 3);
            int id = again.post(List.of(new Segment(DATA, 3)), List.of(new Segment(DATA + 64, 3)), false);
            again.publishAndKick();
            assertThat(again.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 3));
            assertThat(q).isNotNull();
        }
    }

    @Test
    void getVringBaseStopsTheRingAndReportsWhereItStands() {
        try (VirtioFrontend fe = connect(features(false))) {
            FrontendQueue q = fe.addQueue(1, 8, RINGS, IndirectArea.NONE);
            for (int i = 0; i < 5; i++) {
                q.post(List.of(new Segment(DATA, 8)), List.of(new Segment(DATA + 64, 8)), false);
                q.publishAndKick();
                q.awaitUsed(1, WAIT);
            }
            fe.vhost().setStatus(0);                        // QEMU stops a device with SET_STATUS 0 first ...
            assertThat(fe.vhost().getVringBase(1)).isEqualTo(5); // ... and then asks where the ring stands
            assertThat(seen).contains("stopped 1 at 5");
        }
    }

    @Test
    void brokenRingSetsDeviceNeedsReset() {
        try (VirtioFrontend fe = connect(features(false))) {
            FrontendQueue q = fe.addQueue(0, 8, RINGS, IndirectArea.NONE);
            fe.vhost().setStatus(15);
            // A chain whose buffer lies outside guest memory [DRV-SPLIT-044].
            q.post(List.of(new Segment(0x10, 8)), List.of(), false);
            q.publishAndKick();
            awaitStatusBit(fe, DeviceControl.DEVICE_NEEDS_RESET);
        }
    }

    @Test
    void badMessageGetsFailureStatusWithReplyAckAndTheSessionGoesOn() {
        try (VirtioFrontend fe = connect(features(false))) {
            assertThatThrownBy(() -> fe.vhost().setVringNum(0, 3)).isInstanceOf(FrontendException.class);
            assertThatThrownBy(() -> fe.vhost().setVringNum(7, 8)).isInstanceOf(FrontendException.class);
            assertThat(fe.vhost().getQueueNum()).isEqualTo(EchoDevice.QUEUES);
            assertThat(seen).contains("rejected SET_VRING_NUM queue size -> failure status",
                    "rejected SET_VRING_NUM queue index -> failure status");
        }
    }

    @Test
    void aRejectedMessageIsLoggedNamingTheRequestAndTheRule() {
        try (VirtioFrontend fe = connect(features(false)); CapturedStderr err = new CapturedStderr()) {
            // The line is written before the failure status goes out, so it is there once the front-end has its answer.
            assertThatThrownBy(() -> fe.vhost().setVringNum(0, 3)).isInstanceOf(FrontendException.class);
            assertThat(err.text()).contains("WARN dev.pvkit.sdk.vhostuser.Session - rejected SET_VRING_NUM [queue size]: "
                    + "3 is not a power of two in 1..256; answered with failure status");
            // A rule the spec numbers is cited with its requirement.
            assertThatThrownBy(() -> fe.vhost().setVringNum(7, 8)).isInstanceOf(FrontendException.class);
            assertThat(err.text()).contains("rejected SET_VRING_NUM [queue index, FE-VU-009]: 7 is not below the queue count "
                    + EchoDevice.QUEUES + "; answered with failure status");
            assertThat(fe.vhost().getConfig(6, 4)).isEmpty();
            assertThat(err.text()).contains("rejected GET_CONFIG [config range]: 6+4 outside the 8-byte configuration space; "
                    + "answered with empty reply");
        }
        assertThat(seen).contains("rejected SET_VRING_NUM queue size -> failure status", "rejected GET_CONFIG config range -> empty reply");
    }

    @Test
    void badMessageWithoutReplyAckClosesAndTheNextConnectionIsServed() throws Exception {
        java.util.Set<Integer> before = FdCount.snapshot();
        try (VhostUserFrontendProbe probe = new VhostUserFrontendProbe(backend.socketPath())) {
            probe.sendRaw(FrontendRequest.SET_VRING_NUM.id(), Message.VERSION, new byte[5]); // 5 bytes: should be 8
            assertThat(probe.closedByPeer()).isTrue();
        }
        try (VirtioFrontend fe = connect(features(false))) {
            assertThat(fe.vhost().getQueueNum()).isEqualTo(EchoDevice.QUEUES);
        }
        assertThat(seen).anyMatch(s -> s.startsWith("rejected SET_VRING_NUM payload size -> connection closed"));
        assertThat(backend.sessions()).isEqualTo(2);
        awaitNoDescriptorsSince(before);
    }

    /**
     * On a sealed log file (as QEMU's) the bits are set with an atomic OR; on one that cannot be sealed, accepted at
     * risk ({@link UnsealedFiles#ACCEPT_AT_RISK}), by a plain write.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "log file sealed against shrinking: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void dirtyLogMarksExactlyThePagesTheBackendWrote(boolean sealed) {
        long logAll = VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL);
        if (!sealed) {
            backend.close();
            backend = VhostUserBackend.serve(device, dir.resolve("at-risk.sock"),
                    VhostUserBackend.Options.defaults().withWorkers(2).withUnsealedFiles(UnsealedFiles.ACCEPT_AT_RISK));
        }
        try (VirtioFrontend fe = connect(features(false));
             dev.pvkit.sdk.os.Memfd logFile = sealed ? dev.pvkit.sdk.os.Memfd.create("dirty-log", 4096).sealSize()
                     : unsealable(dev.pvkit.sdk.os.Memfd.create("dirty-log", 4096));
             dev.pvkit.sdk.os.MappedMemory logMap = logFile.map()) {
            FrontendQueue q = fe.addQueue(0, 64, RINGS, IndirectArea.NONE);
            long usedPage = (RINGS + 0xc000) >>> 12;

            // Unlogged phase: I/O before logging starts marks nothing.
            echo(fe, q, DATA, DATA + 0x10000, 100);
            fe.vhost().setLogBase(logFile.fd(), 4096, 0);
            assertThat((dev.pvkit.sdk.os.Syscalls.seals(logFile.fd()) & dev.pvkit.sdk.os.Syscalls.F_SEAL_SHRINK) != 0)
                    .as("log file sealed against shrinking").isEqualTo(sealed);
            echo(fe, q, DATA, DATA + 0x11000, 100);
            assertThat(markedPages(logMap)).as("without LOG_ALL").isEmpty();

            // Logged phase: exactly the data pages written and the used-ring page.
            fe.vhost().setFeatures(fe.features() | logAll);
            echo(fe, q, DATA, DATA + 0x20ff0, 40);          // 40 bytes straddling two pages
            echo(fe, q, DATA + 0x100, DATA + 0x30000, 8);
            assertThat(markedPages(logMap)).containsExactlyInAnyOrder(
                    (DATA + 0x20ff0) >>> 12, (DATA + 0x21000) >>> 12, (DATA + 0x30000) >>> 12, usedPage);

            // Logging off again: nothing new. (The worker may still be finishing the last request's ring
            // bookkeeping when the reply arrives; let it settle before clearing.)
            fe.vhost().setFeatures(fe.features());
            sleep(100);
            clear(logMap);
            echo(fe, q, DATA, DATA + 0x40000, 100);
            assertThat(markedPages(logMap)).as("after LOG_ALL is dropped").isEmpty();
        }
    }

    /** Closed to further seals, none against shrinking: a file the back-end cannot seal. */
    private static dev.pvkit.sdk.os.Memfd unsealable(dev.pvkit.sdk.os.Memfd m) {
        dev.pvkit.sdk.os.Syscalls.addSeals(m.fd(), dev.pvkit.sdk.os.Syscalls.F_SEAL_SEAL);
        return m;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void echo(VirtioFrontend fe, FrontendQueue q, long in, long out, int len) {
        byte[] data = new byte[len];
        java.util.Arrays.fill(data, (byte) 7);
        fe.memory().write(in, data, 0, len);
        int id = q.post(List.of(new Segment(in, len)), List.of(new Segment(out, len)), false);
        q.publishAndKick();
        assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, len));
    }

    private static List<Long> markedPages(dev.pvkit.sdk.os.MappedMemory log) {
        List<Long> pages = new ArrayList<>();
        ByteBuffer b = log.chunkAt(0);
        for (int i = 0; i < 4096; i++) {
            for (int bit = 0; bit < 8; bit++) if ((b.get(i) & (1 << bit)) != 0) pages.add(i * 8L + bit);
        }
        return pages;
    }

    private static void clear(dev.pvkit.sdk.os.MappedMemory log) {
        for (int i = 0; i < 4096; i++) log.chunkAt(0).put(i, (byte) 0);
    }

    @Test
    void memorySlotsCanBeAddedAndRemovedWhileRingsRun() {
        try (OwnedGuestMemory two = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 1 << 20),
                new OwnedGuestMemory.Placement(0x4000000, 1 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), two, features(false), ALL_PROTOCOL)) {
            dev.pvkit.sdk.memory.MemoryRegion high = two.memory().regions().get(1);
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            fe.vhost().remMemReg(high);
            echoIn(fe, q, 0x180000);                       // the low region still serves
            fe.vhost().addMemReg(two, high);
            echoIn(fe, q, 0x4000000);                      // the high region is back
            fe.vhost().remMemReg(high);
            q.post(List.of(new Segment(0x4000000, 4)), List.of(new Segment(0x4001000, 4)), false);
            q.publishAndKick();
            awaitStatusBit(fe, DeviceControl.DEVICE_NEEDS_RESET); // gone again: that buffer is outside guest memory
        }
    }

    private static void echoIn(VirtioFrontend fe, FrontendQueue q, long at) {
        fe.memory().write(at, new byte[]{1, 2, 3, 4}, 0, 4);
        int id = q.post(List.of(new Segment(at, 4)), List.of(new Segment(at + 0x1000, 4)), false);
        q.publishAndKick();
        assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 4));
        byte[] back = new byte[4];
        fe.memory().read(at + 0x1000, back, 0, 4);
        assertThat(back).containsExactly(4, 3, 2, 1);
    }

    /**
     * Polls GET_STATUS until {@code bit} is set. On the test's own thread: the front-end's connection is not shared.
     */
    static void awaitStatusBit(VirtioFrontend fe, int bit) {
        await().atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                .untilAsserted(() -> assertThat(fe.vhost().getStatus() & bit).as("device status bit 0x%x", bit).isEqualTo(bit));
    }

    @Test
    void packedGetVringBaseReportsPositionsAndWrapCounters() {
        try (VirtioFrontend fe = connect(features(true))) {
            FrontendQueue q = fe.addQueue(2, 4, RINGS, IndirectArea.NONE);
            for (int i = 0; i < 6; i++) {                   // six one-slot chains on a 4-slot ring: one lap and a half
                q.post(List.of(), List.of(new Segment(DATA + 64, 8)), false);
                q.publishAndKick();
                q.awaitUsed(1, WAIT);
            }
            // avail index 2, wrap 0 (bit 15 clear); used index 2, wrap 0 (bit 31 clear).
            long base = fe.vhost().getVringBase(2);
            assertThat(base).as("seen %s", seen).isEqualTo(2L | 2L << 16);
        }
    }

    @Test
    void ringsWithoutKickFdArePolled() throws Exception {
        try (VirtioFrontend fe = connect(features(false))) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.vhost().setVringKick(0, null);               // no-fd flag: the back-end polls
            fe.memory().write(DATA, new byte[]{9, 8}, 0, 2);
            int id = q.post(List.of(new Segment(DATA, 2)), List.of(new Segment(DATA + 64, 2)), false);
            q.driver().publish();                            // published, never kicked
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 2));
            assertThat(q.kicks()).isZero();
        }
    }

    @Test
    void aDisabledRingIsLeftAloneUntilEnabled() throws Exception {
        try (VirtioFrontend fe = connect(features(false))) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.vhost().setVringEnable(0, false);
            fe.memory().write(DATA, new byte[]{5, 6}, 0, 2);
            int id = q.post(List.of(new Segment(DATA, 2)), List.of(new Segment(DATA + 64, 2)), false);
            q.publishAndKick();
            Thread.sleep(200);
            assertThat(q.driver().reap()).as("nothing taken while disabled").isEmpty();
            fe.vhost().setVringEnable(0, true);
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 2));
        }
    }

    @Test
    void aDiscardingDeviceDropsRequestsOnADisabledRing() {
        EchoDevice dropping = new EchoDevice() {
            @Override
            public boolean discardsWhileDisabled() {
                return true;
            }
        };
        try (VhostUserBackend other = VhostUserBackend.serve(dropping, dir.resolve("drop.sock"));
             VirtioFrontend fe = VirtioFrontend.start(other.socketPath(), guest, features(false), ALL_PROTOCOL)) {
            FrontendQueue q = fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.vhost().setVringEnable(0, false);
            int id = q.post(List.of(new Segment(DATA, 2)), List.of(new Segment(DATA + 64, 2)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 0));
        }
    }

    @Test
    void closingTheBackendStopsItsThreads() throws Exception {
        try (VirtioFrontend fe = connect(features(false))) {
            fe.addQueue(0, 16, RINGS, IndirectArea.NONE);
            fe.addQueue(1, 16, RINGS + 0x10000, IndirectArea.NONE);
            assertThat(threadsNamed("echo.sock")).isNotEmpty();
            backend.close();
        }
        // On this thread: an Awaitility poller thread must not be among the threads counted.
        await().atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(threadsNamed("echo.sock")).as("the back-end's threads after close").isEmpty());
    }

    private static List<String> threadsNamed(String part) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.contains(part)).toList();
    }

    /** Descriptors are closed asynchronously by the back-end's session thread; give it a moment. */
    /**
     * Waits until every socket, pipe, eventfd, epoll or memfd opened since {@code before} is closed again (sessions end
     * on their own threads, so closing lags). Regular files the JVM opens on its own are not counted, and what is still
     * open at the end is named in the failure.
     */
    /** Waits until no more descriptors are open than {@code expected}: for a step that replaces one descriptor by another. */
    static void awaitFdCount(int expected) {
        await().atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(FdCount.open()).as("open descriptors (baseline %d)", expected).isLessThanOrEqualTo(expected));
    }

    static void awaitNoDescriptorsSince(java.util.Set<Integer> before) {
        await().atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                .untilAsserted(() -> assertThat(FdCount.kernelObjectsOpenedSince(before)).as("descriptors opened and not closed").isEmpty());
    }
}
