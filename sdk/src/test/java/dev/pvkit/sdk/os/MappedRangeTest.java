package dev.pvkit.sdk.os;

import org.junit.jupiter.api.Test;

import static dev.pvkit.sdk.os.ProcMaps.mappingAt;
import static dev.pvkit.sdk.os.ProcMaps.mappings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link MappedMemory#sharedRange}: a file range at any offset maps the pages holding it, at their file offset —
 * checked in /proc/self/maps, where the kernel shows each mapping's start, end and file offset.
 */
class MappedRangeTest {

    static final long FILE = 64 << 10;

    @Test
    void aMemfdMapsInSystemPages() {
        try (Memfd f = Memfd.create("page-size", FILE)) {
            assertThat(Syscalls.pageSizeOf(f.fd())).isEqualTo(Syscalls.pageSize()).isPositive();
        }
    }

    @Test
    void anUnalignedOffsetMapsOnlyThePagesHoldingTheRange() {
        long page = Syscalls.pageSize();
        try (Memfd f = Memfd.create("unaligned-range", FILE); MappedMemory whole = f.map()) {
            fill(whole);
            long offset = 5 * page + 0x123;
            try (MappedMemory range = MappedMemory.sharedRange(f.fd(), offset, 2 * page)) {
                assertThat(range.length()).isEqualTo(2 * page);
                assertThat(range.chunkAt(0).get(0)).isEqualTo(pattern(offset));
                assertThat(range.chunkAt(0).get((int) (2 * page - 1))).isEqualTo(pattern(offset + 2 * page - 1));
                range.chunkAt(0).put(7, (byte) 0x5a);        // the same file bytes: visible through the whole mapping
                assertThat(whole.chunkAt(0).get((int) (offset + 7))).isEqualTo((byte) 0x5a);
                assertThatThrownBy(() -> range.chunkAt(0).get((int) (2 * page))).isInstanceOf(IndexOutOfBoundsException.class);

                ProcMaps.Mapping m = mappingAt(range.address()).orElseThrow();
                assertThat(m.fileOffset()).as("file offset of the mapping").isEqualTo(5 * page);
                assertThat(m.start()).isEqualTo(range.address() - 0x123);
                assertThat(m.length()).as("pages 5, 6 and 7 of the file, not the file from 0").isEqualTo(3 * page);
            }
            assertThat(mappings("/memfd:unaligned-range")).as("unmapped on close: only the whole-file mapping is left")
                    .containsExactly(new ProcMaps.Mapping(whole.address(), FILE, 0));
        }
    }

    @Test
    void aPageAlignedOffsetMapsExactlyTheRange() {
        long page = Syscalls.pageSize();
        try (Memfd f = Memfd.create("aligned-range", FILE); MappedMemory whole = f.map()) {
            fill(whole);
            try (MappedMemory range = MappedMemory.sharedRange(f.fd(), 8 * page, 4 * page)) {
                assertThat(range.chunkAt(0).get(1)).isEqualTo(pattern(8 * page + 1));
                ProcMaps.Mapping m = mappingAt(range.address()).orElseThrow();
                assertThat(m).isEqualTo(new ProcMaps.Mapping(range.address(), 4 * page, 8 * page));
            }
        }
    }

    @Test
    void emptyOrOverflowingRangesAreRefusedBeforeMapping() {
        try (Memfd f = Memfd.create("bad-range", FILE)) {
            assertThatThrownBy(() -> MappedMemory.sharedRange(f.fd(), 0, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MappedMemory.sharedRange(f.fd(), -4096, 4096)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> MappedMemory.sharedRange(f.fd(), Long.MAX_VALUE - 10, 4096)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    static void fill(MappedMemory m) {
        for (int i = 0; i < FILE; i++) m.chunkAt(0).put(i, pattern(i));
    }

    static byte pattern(long i) {
        return (byte) (i * 31 + (i >>> 12));
    }
}
