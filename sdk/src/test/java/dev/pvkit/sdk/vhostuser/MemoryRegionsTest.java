package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.FrontendException;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.SharedMemory;
import dev.pvkit.sdk.frontend.SingleFileGuest;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.os.ProcMaps;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The memory map as QEMU shares it: regions cut from one guest-RAM file at different offsets (SET_MEM_TABLE's
 * mmap_offset), and with CONFIGURE_MEM_SLOTS up to 509 regions added and removed one by one. The back-end runs in
 * this process, so /proc/self/maps shows exactly what it mapped.
 */
class MemoryRegionsTest {

    static final long KiB = 1 << 10;
    static final long MiB = 1 << 20;
    static final long FEATURES = VirtioFeatures.bit(VirtioFeatures.VERSION_1);

    @TempDir
    Path dir;
    VhostUserBackend backend;
    final RejectionRecorder recorder = new RejectionRecorder();
    final List<String> rejected = recorder.rejected;

    @BeforeEach
    void serve() {
        backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("mem.sock"), VhostUserBackend.Options.defaults().withObserver(recorder));
    }

    @AfterEach
    void stop() {
        backend.close();
    }

    @Test
    void regionsOfOneFileAreMappedAtTheirOwnOffsets() {
        // Low RAM at file offset 0, "above 4 GiB" RAM further into the same file (as QEMU splits a
        // memory-backend-memfd), and a small region whose offset is not page aligned.
        long low = 0x100000, high = 0x1_0000_0000L, odd = 0x2_0000_0000L;
        long oddOffset = 10 * MiB + 0x800;
        List<SingleFileGuest.Part> parts = List.of(new SingleFileGuest.Part(low, 8 * MiB, 0),
                new SingleFileGuest.Part(high, 4 * MiB, 12 * MiB), new SingleFileGuest.Part(odd, 64 * KiB, oddOffset));
        try (SingleFileGuest guest = SingleFileGuest.create("one-file-guest", 16 * MiB, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
            FrontendQueue q = fe.addQueue(0, 16, low, IndirectArea.NONE);
            echo(fe, q, low + 0x100000, high + 0x1000);
            echo(fe, q, high + 0x2000, odd + 0x10);
            echo(fe, q, odd + 0x100, low + 0x200000);

            long page = dev.pvkit.sdk.os.Syscalls.pageSize();
            List<ProcMaps.Mapping> backend = backendMappings("/memfd:one-file-guest", guest);
            assertThat(backend).extracting(m -> List.of(m.fileOffset(), m.length())).as("(file offset, length) of each back-end mapping")
                    .containsExactlyInAnyOrder(List.of(0L, 8 * MiB), List.of(12 * MiB, 4 * MiB),
                            List.of(10 * MiB, (0x800 + 64 * KiB + page - 1) / page * page));
        }
    }

    @Test
    void hugePageRegionsAreMappedInWholeHugePages() throws Exception {
        // Guest RAM on 2 MiB huge pages (QEMU's memory-backend-memfd,hugetlb=on). An mmap of a hugetlbfs file must
        // start at a huge-page offset and cover whole huge pages; the second region starts 64 KiB into a huge page.
        long huge = 2 * MiB;
        assumeTrue(freeHugePages(huge) >= 4, "needs 4 free 2 MiB huge pages; as root: echo 16 > /proc/sys/vm/nr_hugepages "
                + "(.ci/run reserves them)");
        long low = 0x100000, high = 0x1_0000_0000L;
        List<SingleFileGuest.Part> parts = List.of(new SingleFileGuest.Part(low, 4 * MiB, 0),
                new SingleFileGuest.Part(high, MiB, 4 * MiB + 64 * KiB));
        try (SingleFileGuest guest = SingleFileGuest.createHuge("huge-guest", 8 * MiB, huge, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared(), FEATURES, ProtocolFeatures.OFFERED)) {
            assertThat(dev.pvkit.sdk.os.Syscalls.pageSizeOf(guest.shared().regions().get(0).fd())).isEqualTo(huge);
            FrontendQueue q = fe.addQueue(0, 16, low, IndirectArea.NONE);
            echo(fe, q, low + 0x200000, high + 0x1000);
            echo(fe, q, high + 0xff000, low + 0x3ff000); // the last page of each region
            assertThat(backendMappings("/memfd:huge-guest", guest)).extracting(m -> List.of(m.fileOffset(), m.length()))
                    .as("(file offset, length) of each back-end mapping")
                    .containsExactlyInAnyOrder(List.of(0L, 4 * MiB), List.of(4 * MiB, huge));
        }
        assertThat(rejected).isEmpty();
    }

    /** Free huge pages of {@code size} bytes on this machine. */
    private static long freeHugePages(long size) throws java.io.IOException {
        Path free = Path.of("/sys/kernel/mm/hugepages/hugepages-" + size / KiB + "kB/free_hugepages");
        return java.nio.file.Files.exists(free) ? Long.parseLong(java.nio.file.Files.readString(free).trim()) : 0;
    }

    @Test
    void all509SlotsCanBeFilledServedAndFreed() {
        // Region 0 holds the ring; regions 1..509 are 64 KiB each, one page apart in the file so that no two
        // back-end mappings could ever merge into one line of /proc/self/maps. Part 509 is the 510th region.
        List<SingleFileGuest.Part> parts = new ArrayList<>();
        parts.add(new SingleFileGuest.Part(0x100000, MiB, 0));
        for (int i = 1; i <= MemoryRegions.MAX_SLOTS; i++) {
            parts.add(new SingleFileGuest.Part(0x1000_0000L + i * 128 * KiB, 64 * KiB, MiB + (i - 1) * 68 * KiB));
        }
        try (SingleFileGuest guest = SingleFileGuest.create("slots-guest", MiB + MemoryRegions.MAX_SLOTS * 68 * KiB, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared().first(1), FEATURES, ProtocolFeatures.OFFERED)) {
            List<SharedMemory.SharedRegion> regions = guest.shared().regions();
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            assertThat(fe.vhost().getMaxMemSlots()).isEqualTo(509);

            for (int i = 1; i < MemoryRegions.MAX_SLOTS; i++) fe.vhost().addMemReg(regions.get(i));
            assertThat(backendMappings("/memfd:slots-guest", guest)).hasSize(509);
            SharedMemory.SharedRegion extra = regions.get(MemoryRegions.MAX_SLOTS);
            assertThatThrownBy(() -> fe.vhost().addMemReg(extra)).isInstanceOf(FrontendException.class);
            assertThat(rejected).containsExactly("ADD_MEM_REG memory slots -> failure status");

            long last = regions.get(MemoryRegions.MAX_SLOTS - 1).region().guestPhysical(); // the 509th, added last
            echo(guest, q, last, regions.get(1).region().guestPhysical());

            for (int i = 1; i <= 100; i++) fe.vhost().remMemReg(regions.get(i));
            assertThat(backendMappings("/memfd:slots-guest", guest)).as("removed regions are unmapped").hasSize(409);
            echo(guest, q, last + 0x100, regions.get(101).region().guestPhysical());
            fe.vhost().addMemReg(regions.get(50));          // a freed slot can be used again ...
            fe.vhost().addMemReg(extra);                     // ... and so can one never shared before
            echo(guest, q, regions.get(50).region().guestPhysical(), extra.region().guestPhysical() + 0x800);
            assertThat(rejected).hasSize(1);

            // A buffer in a removed region is outside guest memory now: the ring stops.
            q.post(List.of(new Segment(regions.get(10).region().guestPhysical(), 4)), List.of(), false);
            q.publishAndKick();
            BackendSessionTest.awaitStatusBit(fe, DeviceControl.DEVICE_NEEDS_RESET);
        }
    }

    @Test
    void aRegionAddedOncePerQueuePairIsMappedOnceAndStaysUntilEachRemovedIt() {
        // QEMU's multiqueue vhost-user-net: one vhost device per queue pair on one connection, each adding the regions.
        List<SingleFileGuest.Part> parts = List.of(new SingleFileGuest.Part(0x100000, MiB, 0),
                new SingleFileGuest.Part(0x1000_0000L, 64 * KiB, 2 * MiB));
        try (SingleFileGuest guest = SingleFileGuest.create("pairs-guest", 4 * MiB, parts);
             VirtioFrontend fe = VirtioFrontend.start(backend.socketPath(), guest.shared().first(1), FEATURES, ProtocolFeatures.OFFERED)) {
            SharedMemory.SharedRegion data = guest.shared().regions().get(1);
            FrontendQueue q = fe.addQueue(0, 16, 0x100000, IndirectArea.NONE);
            fe.vhost().addMemReg(data);
            fe.vhost().addMemReg(data); // the second pair's vhost device
            assertThat(rejected).as("the same region again is not an overlap").isEmpty();
            assertThat(backendMappings("/memfd:pairs-guest", guest)).as("mapped once").hasSize(2);

            fe.vhost().remMemReg(data); // one pair lets go: the other still uses it
            echo(guest, q, data.region().guestPhysical(), 0x100000 + 0x8000);
            fe.vhost().remMemReg(data);
            assertThat(backendMappings("/memfd:pairs-guest", guest)).as("unmapped once both removed it").hasSize(1);
            assertThatThrownBy(() -> fe.vhost().remMemReg(data)).as("a third removal has nothing to remove").isInstanceOf(FrontendException.class);
        }
    }

    /** The mappings of {@code path} in this process other than the front-end's own mapping of the whole file. */
    static List<ProcMaps.Mapping> backendMappings(String path, SingleFileGuest guest) {
        return ProcMaps.mappings(path + " ").stream().filter(m -> m.start() != guest.mapping().address()).toList();
    }

    private static void echo(VirtioFrontend fe, FrontendQueue q, long in, long out) {
        EchoDevice.echo(fe.memory(), q, in, out);
    }

    private static void echo(SingleFileGuest guest, FrontendQueue q, long in, long out) {
        EchoDevice.echo(guest.memory(), q, in, out);
    }

}
