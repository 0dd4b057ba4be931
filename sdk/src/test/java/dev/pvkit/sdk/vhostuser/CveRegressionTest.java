package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * One named test per class of flaw that public vhost-user back-ends have shipped (DPDK's CVE list as the
 * checklist). Each builds the hostile input that hurt them and checks PVKit's answer.
 */
class CveRegressionTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    VhostUserBackend backend;
    final RejectionRecorder recorder = new RejectionRecorder();
    final List<String> rejected = recorder.rejected;

    VhostUserBackend serve(VirtioDevice device) {
        backend = VhostUserBackend.serve(device, dir.resolve("cve.sock"), VhostUserBackend.Options.defaults().withObserver(recorder));
        return backend;
    }

    @AfterEach
    void stop() {
        if (backend != null) backend.close();
    }

    /** A probe that negotiated REPLY_ACK, so rejections come back as failure statuses. */
    VhostUserFrontendProbe ackingProbe() {
        VhostUserFrontendProbe p = new VhostUserFrontendProbe(backend.socketPath());
        p.sendRaw(FrontendRequest.SET_PROTOCOL_FEATURES.id(), Message.VERSION, MessageChannel.u64(ProtocolFeatures.OFFERED));
        return p;
    }

    static long status(VhostUserFrontendProbe p) {
        try (Message m = p.reply()) {
            assertThat(m).as("a reply (not a closed connection)").isNotNull();
            return m.body().getLong(0);
        }
    }

    static byte[] u64(long v) {
        return MessageChannel.u64(v);
    }

    /**
     * DPDK allocated per-ring state on every SET_VRING_NUM: a front-end repeating it grew the back-end without bound.
     * Here 20,000 of them, with every size from 1 to 256, come in one raw sequence; the last one (8) is what the ring
     * then uses — it is set up without another SET_VRING_NUM and laps twice, which a ring of any other size could not
     * serve — and after a first batch, one of three further batches of 20,000 retains less than 16 bytes per message
     * (less than one object each): a leak would retain that much in every one.
     */
    @Test
    void repeatedSetVringNumRetainsNothingAndTheLastOneCounts() throws Exception {
        serve(new EchoDevice());
        int last = 8;
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 << 20)));
             VhostUserFrontend v = VhostUserFrontend.connect(backend.socketPath());
             EventFd kick = EventFd.create(); EventFd call = EventFd.create()) {
            v.getFeatures();
            v.setOwner();
            v.setFeatures(VirtioFeatures.bit(VirtioFeatures.VERSION_1));
            v.setMemTable(guest);
            // A first batch loads classes, compiles code and grows the tables JNA's cleaner keeps for its native
            // buffers to their peak; a second, equal batch must then add (almost) nothing.
            sendVringNums(v, 20_000, 256);
            java.util.Set<Integer> fdsBefore = FdCount.snapshot();
            // Three more batches, heap read after each. A leak retains its share in every batch; a one-off step (JNA's
            // cleaner behind, a cache filling on a loaded machine) shows in one batch only. The last batch ends on 8.
            long[] perBatch = new long[3];
            long heap = retainedHeap();
            for (int batch = 0; batch < perBatch.length; batch++) {
                sendVringNums(v, 20_000, batch == perBatch.length - 1 ? last : 256);
                long now = retainedHeap();
                perBatch[batch] = now - heap;
                heap = now;
            }
            System.out.printf("repeated SET_VRING_NUM: %s bytes retained by three batches of 20,000 messages%n",
                    java.util.Arrays.toString(perBatch));
            assertThat(java.util.Arrays.stream(perBatch).min().orElseThrow())
                    .as("heap retained by the least of three batches of 20,000 SET_VRING_NUM %s", java.util.Arrays.toString(perBatch))
                    .isLessThan(20_000L * 16);
            assertThat(FdCount.kernelObjectsOpenedSince(fdsBefore)).as("descriptors left open by 20,000 SET_VRING_NUM").isEmpty();

            long desc = 0x100000, avail = 0x108000, used = 0x10c000, user = guest.memory().regions().get(0).userAddress() - 0x100000;
            v.setVringAddr(0, user + desc, user + used, user + avail);
            v.setVringBase(0, 0);
            v.setVringCall(0, call);
            v.setVringKick(0, kick);
            SplitDriverQueue driver = new SplitDriverQueue(guest.memory(), new SplitRing(last, desc, avail, used),
                    VirtioFeatures.bit(VirtioFeatures.VERSION_1), IndirectArea.NONE, 0);
            for (int i = 0; i < 2 * last + 3; i++) {
                guest.memory().write(0x200000, new byte[]{(byte) i, 2, 3, 4}, 0, 4);
                int id = driver.post(List.of(new Segment(0x200000, 4)), List.of(new Segment(0x201000, 4)), false);
                driver.publish();
                kick.signal();
                assertThat(awaitUsed(driver, "request %d on the %d-entry ring".formatted(i, last))).containsExactly(new DriverQueue.Used(id, 4));
                assertThat(guest.memory().readU8(0x201003)).isEqualTo((byte) i);
            }
        }
        assertThat(rejected).isEmpty();
    }

    /** {@code count} SET_VRING_NUM for queue 0 cycling through 1, 2, 4 … 256, the last one {@code last}. */
    private static void sendVringNums(VhostUserFrontend v, int count, int last) {
        for (int i = 0; i < count - 1; i++) v.setVringNum(0, 1 << (i % 9));
        v.setVringNum(0, last);
        v.getFeatures(); // a round trip: every SET_VRING_NUM before it has been handled
    }

    /** Reaps until something is used; returns what that reap found. */
    private static List<DriverQueue.Used> awaitUsed(SplitDriverQueue driver, String what) {
        return await("used entry for " + what).atMost(WAIT).pollInSameThread().pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1)).until(driver::reap, got -> !got.isEmpty());
    }

    /**
     * Live heap after full collections. JNA frees its native buffers through a cleaner thread, so garbage it still
     * references survives a collection until that thread ran: collect and pause until two readings agree.
     */
    private static long retainedHeap() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 50; i++) {
            System.gc();
            Thread.sleep(20);
            long now = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            if (Math.abs(previous - now) < 16 << 10) return Math.min(previous, now);
            previous = now;
        }
        return previous;
    }

    /** CVE-2019-14818 (descriptors leaked by messages with too many fds) and CVE-2022-0669 (too few). */
    @Test
    void cve2019_14818_and_cve2022_0669_surplusAndMissingDescriptorsAreRefusedAndClosed() throws Exception {
        serve(new EchoDevice());
        java.util.Set<Integer> before = FdCount.snapshot();
        try (VhostUserFrontendProbe p = ackingProbe();
             EventFd a = EventFd.create(); EventFd b = EventFd.create(); EventFd c = EventFd.create();
             Memfd m = Memfd.create("one", 0x10000)) {
            p.sendRaw(FrontendRequest.SET_VRING_CALL.id(), Message.VERSION | Message.NEED_REPLY, u64(0), a.fd(), b.fd(), c.fd());
            assertThat(status(p)).isNotZero();
            p.sendRaw(FrontendRequest.SET_VRING_KICK.id(), Message.VERSION | Message.NEED_REPLY, u64(0)); // fd missing
            assertThat(status(p)).isNotZero();
            ByteBuffer table = ByteBuffer.allocate(8 + 64).order(ByteOrder.nativeOrder()).putInt(2).putInt(0)
                    .putLong(0).putLong(0x10000).putLong(0x7000_0000_0000L).putLong(0)
                    .putLong(0x10000).putLong(0x10000).putLong(0x7000_1000_0000L).putLong(0);
            p.sendRaw(FrontendRequest.SET_MEM_TABLE.id(), Message.VERSION | Message.NEED_REPLY, table.array(), m.fd()); // 2 regions, 1 fd
            assertThat(status(p)).isNotZero();
            p.sendRaw(FrontendRequest.GET_FEATURES.id(), Message.VERSION, new byte[0], a.fd(), b.fd()); // fds on a request that takes none
            assertThat(p.closedByPeer()).as("a request with a reply body cannot be failed: the connection closes").isTrue();
        }
        assertThat(rejected).contains("SET_VRING_CALL descriptor count -> failure status", "SET_VRING_KICK descriptor count -> failure status",
                "SET_MEM_TABLE descriptor count -> failure status", "GET_FEATURES descriptor count -> connection closed");
        BackendSessionTest.awaitNoDescriptorsSince(before);
    }

    /** CVE-2020-10722: log mapping offset + size overflow. */
    @Test
    void cve2020_10722_logOffsetPlusSizeOverflowIsRefusedWithoutMapping() throws Exception {
        serve(new EchoDevice());
        java.util.Set<Integer> before = FdCount.snapshot();
        long mapsBefore = memfdMappings();
        try (VhostUserFrontendProbe p = ackingProbe(); Memfd log = Memfd.create("log", 4096)) {
            for (long[] bad : new long[][]{{4096, Long.MAX_VALUE - 100}, {-1, 0}, {8192, 0}, {4096, 4096}, {0, 0}}) {
                ByteBuffer body = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(bad[0]).putLong(bad[1]);
                p.sendRaw(FrontendRequest.SET_LOG_BASE.id(), Message.VERSION, body.array(), log.fd());
                assertThat(status(p)).as("SET_LOG_BASE size %d offset %d", bad[0], bad[1]).isNotZero();
            }
            ByteBuffer good = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(4096).putLong(0);
            p.sendRaw(FrontendRequest.SET_LOG_BASE.id(), Message.VERSION, good.array(), log.fd());
            assertThat(status(p)).isZero();
        }
        BackendSessionTest.awaitNoDescriptorsSince(before);
        assertThat(memfdMappings()).isEqualTo(mapsBefore);
    }

    /** CVE-2020-10723: the ring index of every ring message is checked. */
    @Test
    void cve2020_10723_ringIndexIsCheckedInEveryRingMessage() {
        serve(new EchoDevice());
        try (VhostUserFrontendProbe p = ackingProbe(); EventFd e = EventFd.create()) {
            for (int index : new int[]{EchoDevice.QUEUES, 255, -1}) {
                p.sendRaw(FrontendRequest.SET_VRING_NUM.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 8).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(FrontendRequest.SET_VRING_BASE.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 0).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(FrontendRequest.SET_VRING_ENABLE.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 1).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(FrontendRequest.SET_VRING_ADDR.id(), Message.VERSION | Message.NEED_REPLY,
                        new Bodies.VringAddress(index, 0, 0, 0, 0, 0).encode());
                assertThat(status(p)).isNotZero();
                for (FrontendRequest r : new FrontendRequest[]{FrontendRequest.SET_VRING_KICK, FrontendRequest.SET_VRING_CALL, FrontendRequest.SET_VRING_ERR}) {
                    p.sendRaw(r.id(), Message.VERSION | Message.NEED_REPLY, u64(index & 0xff), e.fd());
                    assertThat(status(p)).as("%s index %d", r, index & 0xff).isNotZero();
                }
            }
            p.sendRaw(FrontendRequest.GET_VRING_BASE.id(), Message.VERSION, new Bodies.VringState(EchoDevice.QUEUES, 0).encode());
            assertThat(p.closedByPeer()).isTrue();
        }
        assertThat(rejected).filteredOn(s -> s.contains("queue index")).hasSize(3 * 7 + 1);
    }

    /** CVE-2020-10725: translated ring addresses are checked against the memory map, with their full extent. */
    @Test
    void cve2020_10725_ringAddressesOutsideGuestMemoryAreRefused() {
        serve(new EchoDevice());
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 0x100000)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, VirtioFeatures.bit(VirtioFeatures.VERSION_1),
                     ProtocolFeatures.OFFERED);
             EventFd kick = EventFd.create()) {
            long userEnd = fe.user(0x100000) + 0x100000;
            fe.vhost().setVringNum(0, 64);
            // The used ring (6 + 8*64 bytes) would start 16 bytes before the end of the region.
            fe.vhost().setVringAddr(0, fe.user(0x100000), userEnd - 16, fe.user(0x110000));
            assertThatThrownBy(() -> fe.vhost().setVringKick(0, kick)).isInstanceOf(FrontendException.class);
            // A descriptor table in no region at all.
            fe.vhost().setVringAddr(0, 0x1000, fe.user(0x120000), fe.user(0x110000));
            assertThatThrownBy(() -> fe.vhost().setVringKick(0, kick)).isInstanceOf(FrontendException.class);
            assertThat(rejected).containsExactly("SET_VRING_KICK ring address -> failure status", "SET_VRING_KICK ring address -> failure status");
            // Properly placed, the same ring starts.
            fe.vhost().setVringAddr(0, fe.user(0x100000), fe.user(0x120000), fe.user(0x110000));
            fe.vhost().setVringKick(0, kick);
        }
    }

    /** CVE-2020-10725 for packed rings: the descriptor ring and both event areas, each with its full extent. */
    @Test
    void cve2020_10725_packedRingAreasOutsideGuestMemoryAreRefused() {
        serve(new EchoDevice());
        long packedFeatures = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 0x100000)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, packedFeatures, ProtocolFeatures.OFFERED);
             EventFd kick = EventFd.create()) {
            assertThat(VirtioFeatures.has(fe.features(), VirtioFeatures.RING_PACKED)).isTrue();
            long userEnd = fe.user(0x100000) + 0x100000;
            long desc = fe.user(0x100000), driver = fe.user(0x110000), device = fe.user(0x110010);
            fe.vhost().setVringNum(0, 100);                                  // packed sizes need not be powers of two
            // The descriptor ring (16 * 100 bytes) would start 16 bytes before the end of the region.
            fe.vhost().setVringAddr(0, userEnd - 16, device, driver);
            assertThatThrownBy(() -> fe.vhost().setVringKick(0, kick)).isInstanceOf(FrontendException.class);
            // The 4-byte driver event area would straddle the end of the region.
            fe.vhost().setVringAddr(0, desc, device, userEnd - 2);
            assertThatThrownBy(() -> fe.vhost().setVringKick(0, kick)).isInstanceOf(FrontendException.class);
            // The device event area in no region at all.
            fe.vhost().setVringAddr(0, desc, 0x1000, driver);
            assertThatThrownBy(() -> fe.vhost().setVringKick(0, kick)).isInstanceOf(FrontendException.class);
            assertThat(rejected).containsExactly("SET_VRING_KICK ring address -> failure status",
                    "SET_VRING_KICK ring address -> failure status", "SET_VRING_KICK ring address -> failure status");
            // Properly placed, the same ring starts; the last 4 bytes of the region are a valid event area.
            fe.vhost().setVringAddr(0, desc, device, userEnd - 4);
            fe.vhost().setVringKick(0, kick);
            assertThat(rejected).hasSize(3);
        }
    }

    /** CVE-2020-10726: error paths must not leak mappings or descriptors (a table that fails half-way). */
    @Test
    void cve2020_10726_memoryTableFailingHalfwayLeaksNothing() throws Exception {
        serve(new EchoDevice());
        java.util.Set<Integer> before = FdCount.snapshot();
        long mapsBefore = memfdMappings();
        try (VhostUserFrontendProbe p = ackingProbe(); Memfd one = Memfd.create("good", 0x10000); Memfd two = Memfd.create("small", 0x1000)) {
            ByteBuffer table = ByteBuffer.allocate(8 + 64).order(ByteOrder.nativeOrder()).putInt(2).putInt(0)
                    .putLong(0).putLong(0x10000).putLong(0x7000_0000_0000L).putLong(0)            // valid
                    .putLong(0x10000).putLong(0x10000).putLong(0x7000_1000_0000L).putLong(0);     // larger than its 4 KiB file
            p.sendRaw(FrontendRequest.SET_MEM_TABLE.id(), Message.VERSION | Message.NEED_REPLY, table.array(), one.fd(), two.fd());
            assertThat(status(p)).isNotZero();
            assertThat(rejected).containsExactly("SET_MEM_TABLE region beyond file -> failure status");
        }
        BackendSessionTest.awaitNoDescriptorsSince(before);
        assertThat(memfdMappings()).isEqualTo(mapsBefore);
    }

    /**
     * CVE-2022-2132: DPDK copied a request header that the driver had split over several descriptors as if it were
     * contiguous, and trusted chains too small to hold it. In PVKit a device reads through {@link ChainReader} and
     * writes through {@code ChainWriter}: the header is reassembled across any split (direct or indirect), and a
     * chain too small for what the device reads or writes is answered by the SDK with nothing written and the ring
     * still running. {@link HeaderDevice} checks nothing itself.
     */
    @Test
    void cve2022_2132_headersSpanningDescriptorsParseAndTooSmallChainsFailCleanly() {
        serve(new HeaderDevice());
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, features, ProtocolFeatures.OFFERED)) {
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, new IndirectArea(0x180000, 8));
            GuestMemory m = fe.memory();
            ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(0).putLong(0x1122334455667788L);
            m.write(0x200000, header.array(), 0, 16);
            m.fill(0x201000, 0x4000, (byte) 0xee);
            List<Segment> split = List.of(new Segment(0x200000, 5), new Segment(0x200005, 5), new Segment(0x20000a, 6));

            int direct = q.post(split, List.of(new Segment(0x201000, 9)), false);          // 5 + 5 + 6 header bytes
            int indirect = q.post(split, List.of(new Segment(0x202000, 4), new Segment(0x202004, 5)), true);
            int shortHeader = q.post(List.of(new Segment(0x200000, 10)), List.of(new Segment(0x203000, 9)), false);
            int shortAnswer = q.post(split, List.of(new Segment(0x204000, 5)), false);     // 9 bytes to write, room for 5
            q.publishAndKick();
            assertThat(q.awaitUsed(4, WAIT)).containsExactlyInAnyOrder(new DriverQueue.Used(direct, 9), new DriverQueue.Used(indirect, 9),
                    new DriverQueue.Used(shortHeader, 0), new DriverQueue.Used(shortAnswer, 0));
            assertThat(m.readLe64(0x201000)).isEqualTo(0x1122334455667788L);
            assertThat(m.readLe64(0x202000)).isEqualTo(0x1122334455667788L);
            assertThat(bytes(m, 0x203000, 9)).as("nothing written for the short header").containsOnly((byte) 0xee);
            assertThat(bytes(m, 0x204000, 5)).as("nothing written into the short answer buffer").containsOnly((byte) 0xee);

            // The ring was not broken by the device's failures: it serves on.
            int after = q.post(split, List.of(new Segment(0x201100, 9)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(after, 9));
            assertThat(fe.vhost().getStatus() & DeviceControl.DEVICE_NEEDS_RESET).isZero();
        }
        assertThat(rejected).isEmpty();
    }

    private static byte[] bytes(GuestMemory m, long at, int n) {
        byte[] b = new byte[n];
        m.read(at, b, 0, n);
        return b;
    }

    /**
     * Reads a 16-byte request header (type, reserved, sector) however the driver split it and answers the sector
     * plus a status byte — trusting the SDK for every bound, as the C code of CVE-2022-2132 trusted its chain.
     */
    static final class HeaderDevice implements VirtioDevice {
        @Override
        public int deviceId() {
            return 2;
        }

        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);
        }

        @Override
        public int queueCount() {
            return 1;
        }

        @Override
        public int maxQueueSize() {
            return 256;
        }

        @Override
        public byte[] config() {
            return new byte[8];
        }

        @Override
        public long process(int queue, Chain chain, GuestMemory memory) {
            ByteBuffer h = ByteBuffer.wrap(chain.reader(memory).readBytes(16)).order(ByteOrder.LITTLE_ENDIAN);
            ChainWriter out = chain.writer(memory);
            out.write(ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putLong(h.getLong(8)).put((byte) 0).array());
            return out.written();
        }
    }

    /** Mappings of memfds in this process (each appears in /proc/self/maps as "/memfd:…"). */
    static long memfdMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("/memfd:")).count();
    }
}
