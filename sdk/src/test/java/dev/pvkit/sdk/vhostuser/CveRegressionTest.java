package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.os.FdCount;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One named test per class of flaw that public vhost-user back-ends have shipped (DPDK's CVE list as the
 * checklist). Each builds the hostile input that hurt them and checks PVKit's answer.
 */
class CveRegressionTest {

    static final Duration WAIT = Duration.ofSeconds(10);
    @TempDir
    Path dir;
    VhostUserBackend backend;
    final List<String> rejected = new CopyOnWriteArrayList<>();

    VhostUserBackend serve(VirtioDevice device) {
        backend = VhostUserBackend.serve(device, dir.resolve("cve.sock"),
                VhostUserBackend.Options.defaults().withObserver(new BackendObserver() {
                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        rejected.add(request + " " + rule + " -> " + answer);
                    }
                }));
        return backend;
    }

    @AfterEach
    void stop() {
        if (backend != null) backend.close();
    }

    /** A probe that negotiated REPLY_ACK, so rejections come back as failure statuses. */
    VhostUserFrontendProbe ackingProbe() {
        VhostUserFrontendProbe p = new VhostUserFrontendProbe(backend.socketPath());
        p.sendRaw(Request.SET_PROTOCOL_FEATURES.id(), Message.VERSION, MessageChannel.u64(ProtocolFeatures.OFFERED));
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

    @Test
    void repeatedSetVringNumAllocatesNothingAndTheLastOneCounts() {
        serve(new EchoDevice());
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, VirtioFeatures.bit(VirtioFeatures.VERSION_1), 0)) {
            long heapBefore = usedHeap();
            for (int i = 0; i < 20_000; i++) fe.vhost().setVringNum(0, 1 << (i % 9));
            assertThat(usedHeap() - heapBefore).as("heap growth over 20,000 SET_VRING_NUM").isLessThan(64L << 20);
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            int id = q.post(List.of(new Segment(0x200000, 4)), List.of(new Segment(0x201000, 4)), false);
            q.publishAndKick();
            assertThat(q.awaitUsed(1, WAIT)).containsExactly(new DriverQueue.Used(id, 4));
        }
    }

    private static long usedHeap() {
        System.gc();
        return Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
    }

    /** CVE-2019-14818 (descriptors leaked by messages with too many fds) and CVE-2022-0669 (too few). */
    @Test
    void cve2019_14818_and_cve2022_0669_surplusAndMissingDescriptorsAreRefusedAndClosed() throws Exception {
        serve(new EchoDevice());
        int before = FdCount.open();
        try (VhostUserFrontendProbe p = ackingProbe();
             EventFd a = EventFd.create(); EventFd b = EventFd.create(); EventFd c = EventFd.create();
             Memfd m = Memfd.create("one", 0x10000)) {
            p.sendRaw(Request.SET_VRING_CALL.id(), Message.VERSION | Message.NEED_REPLY, u64(0), a.fd(), b.fd(), c.fd());
            assertThat(status(p)).isNotZero();
            p.sendRaw(Request.SET_VRING_KICK.id(), Message.VERSION | Message.NEED_REPLY, u64(0)); // fd missing
            assertThat(status(p)).isNotZero();
            ByteBuffer table = ByteBuffer.allocate(8 + 64).order(ByteOrder.nativeOrder()).putInt(2).putInt(0)
                    .putLong(0).putLong(0x10000).putLong(0x7000_0000_0000L).putLong(0)
                    .putLong(0x10000).putLong(0x10000).putLong(0x7000_1000_0000L).putLong(0);
            p.sendRaw(Request.SET_MEM_TABLE.id(), Message.VERSION | Message.NEED_REPLY, table.array(), m.fd()); // 2 regions, 1 fd
            assertThat(status(p)).isNotZero();
            p.sendRaw(Request.GET_FEATURES.id(), Message.VERSION, new byte[0], a.fd(), b.fd()); // fds on a request that takes none
            assertThat(p.closedByPeer()).as("a request with a reply body cannot be failed: the connection closes").isTrue();
        }
        assertThat(rejected).contains("SET_VRING_CALL descriptor count -> failure status", "SET_VRING_KICK descriptor count -> failure status",
                "SET_MEM_TABLE descriptor count -> failure status", "GET_FEATURES descriptor count -> connection closed");
        BackendSessionTest.awaitFdCount(before);
    }

    /** CVE-2020-10722: log mapping offset + size overflow. */
    @Test
    void cve2020_10722_logOffsetPlusSizeOverflowIsRefusedWithoutMapping() throws Exception {
        serve(new EchoDevice());
        int before = FdCount.open();
        long mapsBefore = memfdMappings();
        try (VhostUserFrontendProbe p = ackingProbe(); Memfd log = Memfd.create("log", 4096)) {
            for (long[] bad : new long[][]{{4096, Long.MAX_VALUE - 100}, {-1, 0}, {8192, 0}, {4096, 4096}, {0, 0}}) {
                ByteBuffer body = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(bad[0]).putLong(bad[1]);
                p.sendRaw(Request.SET_LOG_BASE.id(), Message.VERSION, body.array(), log.fd());
                assertThat(status(p)).as("SET_LOG_BASE size %d offset %d", bad[0], bad[1]).isNotZero();
            }
            ByteBuffer good = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(4096).putLong(0);
            p.sendRaw(Request.SET_LOG_BASE.id(), Message.VERSION, good.array(), log.fd());
            assertThat(status(p)).isZero();
        }
        BackendSessionTest.awaitFdCount(before);
        assertThat(memfdMappings()).isEqualTo(mapsBefore);
    }

    /** CVE-2020-10723: the ring index of every ring message is checked. */
    @Test
    void cve2020_10723_ringIndexIsCheckedInEveryRingMessage() {
        serve(new EchoDevice());
        try (VhostUserFrontendProbe p = ackingProbe(); EventFd e = EventFd.create()) {
            for (int index : new int[]{EchoDevice.QUEUES, 255, -1}) {
                p.sendRaw(Request.SET_VRING_NUM.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 8).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(Request.SET_VRING_BASE.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 0).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(Request.SET_VRING_ENABLE.id(), Message.VERSION | Message.NEED_REPLY, new Bodies.VringState(index, 1).encode());
                assertThat(status(p)).isNotZero();
                p.sendRaw(Request.SET_VRING_ADDR.id(), Message.VERSION | Message.NEED_REPLY,
                        new Bodies.VringAddress(index, 0, 0, 0, 0, 0).encode());
                assertThat(status(p)).isNotZero();
                for (Request r : new Request[]{Request.SET_VRING_KICK, Request.SET_VRING_CALL, Request.SET_VRING_ERR}) {
                    p.sendRaw(r.id(), Message.VERSION | Message.NEED_REPLY, u64(index & 0xff), e.fd());
                    assertThat(status(p)).as("%s index %d", r, index & 0xff).isNotZero();
                }
            }
            p.sendRaw(Request.GET_VRING_BASE.id(), Message.VERSION, new Bodies.VringState(EchoDevice.QUEUES, 0).encode());
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

    /** CVE-2020-10726: error paths must not leak mappings or descriptors (a table that fails half-way). */
    @Test
    void cve2020_10726_memoryTableFailingHalfwayLeaksNothing() throws Exception {
        serve(new EchoDevice());
        int before = FdCount.open();
        long mapsBefore = memfdMappings();
        try (VhostUserFrontendProbe p = ackingProbe(); Memfd one = Memfd.create("good", 0x10000); Memfd two = Memfd.create("small", 0x1000)) {
            ByteBuffer table = ByteBuffer.allocate(8 + 64).order(ByteOrder.nativeOrder()).putInt(2).putInt(0)
                    .putLong(0).putLong(0x10000).putLong(0x7000_0000_0000L).putLong(0)            // valid
                    .putLong(0x10000).putLong(0x10000).putLong(0x7000_1000_0000L).putLong(0);     // larger than its 4 KiB file
            p.sendRaw(Request.SET_MEM_TABLE.id(), Message.VERSION | Message.NEED_REPLY, table.array(), one.fd(), two.fd());
            assertThat(status(p)).isNotZero();
            assertThat(rejected).containsExactly("SET_MEM_TABLE region beyond file -> failure status");
        }
        BackendSessionTest.awaitFdCount(before);
        assertThat(memfdMappings()).isEqualTo(mapsBefore);
    }

    /** CVE-2022-2132: request headers split over several descriptors, and chains too small for a header. */
    @Test
    void cve2022_2132_headersSpanningDescriptorsParseAndTooSmallChainsAreRefused() {
        HeaderDevice device = new HeaderDevice();
        serve(device);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0x100000, 4 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest, VirtioFeatures.bit(VirtioFeatures.VERSION_1), 0)) {
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            ByteBuffer header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(0).putLong(0x1122334455667788L);
            fe.memory().write(0x200000, header.array(), 0, 16);
            // 16 header bytes over three descriptors: 5 + 5 + 6.
            int split = q.post(List.of(new Segment(0x200000, 5), new Segment(0x200005, 5), new Segment(0x20000a, 6)),
                    List.of(new Segment(0x201000, 9)), false);
            // Only 10 header bytes: too small.
            int small = q.post(List.of(new Segment(0x200000, 10)), List.of(new Segment(0x202000, 9)), false);
            q.publishAndKick();
            List<DriverQueue.Used> used = q.awaitUsed(2, WAIT);
            assertThat(used).containsExactlyInAnyOrder(new DriverQueue.Used(split, 9), new DriverQueue.Used(small, 0));
            assertThat(fe.memory().readLe64(0x201000)).isEqualTo(0x1122334455667788L);
            assertThat(device.failures).hasSize(1);
        }
    }

    /** Reads a 16-byte request header (type, reserved, sector) however the driver split it; echoes the sector. */
    static final class HeaderDevice implements VirtioDevice {
        final List<String> failures = new CopyOnWriteArrayList<>();

        @Override
        public int deviceId() {
            return 2;
        }

        @Override
        public long features() {
            return VirtioFeatures.bit(VirtioFeatures.VERSION_1);
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
            ChainReader in = chain.reader(memory);
            if (in.remaining() < 16) {
                failures.add("chain " + chain.id() + ": " + in.remaining() + " readable bytes, header needs 16");
                return 0;
            }
            ByteBuffer h = ByteBuffer.wrap(in.readBytes(16)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] out = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putLong(h.getLong(8)).put((byte) 0).array();
            chain.writer(memory).write(out);
            return out.length;
        }
    }

    /** Mappings of memfds in this process (each appears in /proc/self/maps as "/memfd:…"). */
    static long memfdMappings() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains("/memfd:")).count();
    }
}
