package dev.pvkit.backends.blk;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Memfd;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.pvkit.backends.blk.VirtioBlk.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reads and writes move their data between the store and guest buffers in place ({@link ChainData}): every buffer
 * layout a driver may use still carries the same bytes, a failing store reports only what landed, and data read
 * into guest memory is marked in the dirty log.
 */
class InPlaceDataTest {
    static final long DISK = 1 << 20;
    static final long GUEST_BASE = 0x100000;
    static final long SLOT = GUEST_BASE + 0x400000;
    static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    /** A real vhost-user session: the dirty-log test needs the back-end's log, which only a session has. */
    private VhostUserBackend backend;
    private OwnedGuestMemory guest;
    private VirtioFrontend fe;
    private FrontendQueue queue;

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[]{fe, backend, guest}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // best effort: each test starts fresh
            }
        }
    }

    private void start(BlockStore store) {
        backend = VhostUserBackend.serve(new VirtioBlkDevice(store, BlkOptions.defaults(DISK)), dir.resolve("blk.sock"));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 32 << 20)));
        fe = VirtioFrontend.start(backend.socketPath(), guest, BlkDriver.features(false), ProtocolFeatures.OFFERED);
        queue = fe.addQueue(0, BlkDriver.QUEUE_SIZE, GUEST_BASE, IndirectArea.NONE);
    }

    private GuestMemory memory() {
        return fe.memory();
    }

    private DriverQueue.Used submit(List<Segment> readable, List<Segment> writable) {
        int id = queue.post(readable, writable, false);
        queue.publishAndKick();
        List<DriverQueue.Used> used = queue.awaitUsed(1, WAIT);
        assertThat(used).extracting(DriverQueue.Used::id).containsExactly(id);
        return used.get(0);
    }

    private void header(long at, int type, long sector) {
        byte[] h = BlkDriver.Req.header(type, sector);
        memory().write(at, h, 0, h.length);
    }

    @Test
    void headerSharingItsBufferWithDataAndDataSharingItsBufferWithTheStatus() throws IOException {
        try (FileBlockStore file = FileBlockStore.create(dir.resolve("disk.img"), DISK)) { // a file: FileChannel on guest memory
            start(file);
            GuestMemory m = memory();
            byte[] data = new byte[3 * 512];
            new Random(9).nextBytes(data);

            // OUT: one readable buffer holding the header and the data, then a status buffer.
            header(SLOT, T_OUT, 40);
            m.write(SLOT + HEADER_BYTES, data, 0, data.length);
            DriverQueue.Used w = submit(List.of(new Segment(SLOT, HEADER_BYTES + data.length)), List.of(new Segment(SLOT + 0x8000, 1)));
            assertThat(w.length()).isEqualTo(1);
            assertThat(m.readU8(SLOT + 0x8000)).isEqualTo((byte) BlockStatus.OK.code());
            ByteBuffer onDisk = ByteBuffer.allocate(data.length);
            file.read(40 * 512, onDisk);
            assertThat(onDisk.array()).isEqualTo(data);

            // IN: one writable buffer holding the data and then the status byte.
            long in = SLOT + 0x10000;
            m.fill(in, data.length + 1, (byte) 0xEE);
            header(SLOT, T_IN, 40);
            DriverQueue.Used r = submit(List.of(new Segment(SLOT, HEADER_BYTES)), List.of(new Segment(in, data.length + 1)));
            assertThat(r.length()).isEqualTo(data.length + 1);
            byte[] back = new byte[data.length];
            m.read(in, back, 0, back.length);
            assertThat(back).isEqualTo(data);
            assertThat(m.readU8(in + data.length)).isEqualTo((byte) BlockStatus.OK.code());
        }
    }

    @Test
    void aReadFailingHalfwayIsIoerrAndReportsOnlyTheBuffersFilled() {
        BlockStore failingPastFirstSector = new ForwardingBlockStore(new MemoryBlockStore(DISK)) {
            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                if (offset >= 512) throw new IOException("bad sector");
                super.read(offset, dst);
            }
        };
        start(failingPastFirstSector);
        header(SLOT, T_IN, 0);
        long in = SLOT + 0x10000;
        DriverQueue.Used r = submit(List.of(new Segment(SLOT, HEADER_BYTES)),
                List.of(new Segment(in, 512), new Segment(in + 0x1000, 512), new Segment(SLOT + 0x8000, 1)));
        assertThat(memory().readU8(SLOT + 0x8000)).isEqualTo((byte) BlockStatus.IOERR.code());
        assertThat(r.length()).as("the first buffer and the status").isEqualTo(513);
    }

    @Test
    void dataReadIntoGuestMemoryIsMarkedInTheDirtyLog() {
        start(new MemoryBlockStore(DISK));
        try (Memfd logFile = Memfd.create("dirty-log", 4096).sealSize(); MappedMemory log = logFile.map()) {
            fe.vhost().setLogBase(logFile.fd(), 4096, 0);
            fe.vhost().setFeatures(fe.features() | VirtioFeatures.bit(ProtocolFeatures.F_LOG_ALL));
            long in = SLOT + 0x10000; // page aligned: 8 KiB of data is pages in/4096 and the next
            header(SLOT, T_IN, 8);
            submit(List.of(new Segment(SLOT, HEADER_BYTES)), List.of(new Segment(in, 8192), new Segment(SLOT + 0x8000, 1)));
            assertThat(marked(log)).contains(in >>> 12, (in >>> 12) + 1, (SLOT + 0x8000) >>> 12)
                    .doesNotContain((in >>> 12) + 2, SLOT >>> 12);
        }
    }

    private static List<Long> marked(MappedMemory log) {
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            for (int bit = 0; bit < 8; bit++) if ((log.chunkAt(0).get(i) & (1 << bit)) != 0) pages.add(i * 8L + bit);
        }
        return pages;
    }
}
