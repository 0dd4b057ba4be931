package dev.pvkit.sdk.memory;

import dev.pvkit.sdk.os.MappedMemory;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuestMemoryTest {

    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    @Test
    void readsBackWhatWasWrittenLittleEndian() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x1000, MIB)) {
            GuestMemory m = g.memory();
            m.writeLe64(0x2000, 0x0102030405060708L);
            assertThat(m.readU8(0x2000)).isEqualTo((byte) 0x08);
            assertThat(m.readLe16(0x2000)).isEqualTo((short) 0x0708);
            assertThat(m.readLe32(0x2004)).isEqualTo(0x01020304);
            assertThat(m.readLe64(0x2000)).isEqualTo(0x0102030405060708L);
            m.writeLe16Release(0x3000, (short) 0xbeef);
            assertThat(m.readLe16Acquire(0x3000)).isEqualTo((short) 0xbeef);
        }
    }

    /**
     * Scalars go to native memory directly (NativeWords) while bulk copies go through the mapping's buffers: both must
     * see the same little-endian bytes, up to the last word of the region.
     */
    @Test
    void scalarsAndBulkCopiesSeeTheSameLittleEndianBytes() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x1000, MIB)) {
            GuestMemory m = g.memory();
            long last = 0x1000 + MIB - 8;
            for (long at : new long[] {0x1000, 0x4321, last}) {
                m.write(at, new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) 0x88}, 0, 8);
                assertThat(m.readLe64(at)).isEqualTo(0x8807060504030201L);
                assertThat(m.readLe32(at + 4)).isEqualTo(0x88070605);
                assertThat(m.readLe16(at + 6)).isEqualTo((short) 0x8807);
                assertThat(m.readU8(at + 7)).isEqualTo((byte) 0x88);
                m.writeLe64(at, 0x1122334455667788L);
                m.writeLe32(at, 0xa1a2a3a4);
                m.writeLe16(at + 4, (short) 0xb1b2);
                m.writeU8(at + 7, (byte) 0xc1);
                byte[] back = new byte[8];
                m.read(at, back, 0, 8);
                assertThat(back).containsExactly(0xa4, 0xa3, 0xa2, 0xa1, 0xb2, 0xb1, 0x22, 0xc1);
            }
        }
    }

    @Test
    void boundsAreCheckedAtBothEndsAndAgainstOverflow() {
        List<long[]> seen = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x1000, 0x1000)) {
            GuestMemory m = g.memory().withGuard((a, l, w) -> seen.add(new long[]{a, l}));
            assertThat(m.contains(0x1000, 0x1000)).isTrue();
            assertThat(m.contains(0x1fff, 1)).isTrue();
            assertThat(m.contains(0x2000, 0)).isFalse();
            assertThat(m.contains(0x0fff, 1)).isFalse();
            assertThat(m.contains(0x1fff, 2)).isFalse();
            assertThat(m.contains(0x1000, -1)).isFalse();
            assertThat(m.contains(Long.MAX_VALUE, 2)).isFalse();
            assertThat(m.contains(-8, 16)).isFalse();

            assertThatThrownBy(() -> m.readLe32(0x1ffe)).isInstanceOf(GuestMemoryException.class)
                    .hasMessageContaining("0x1ffe+4");
            assertThatThrownBy(() -> m.writeLe64(0xfff, 1)).isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.read(0x1800, new byte[0x1000], 0, 0x1000)).isInstanceOf(GuestMemoryException.class);
            assertThat(seen).hasSize(3);
        }
    }

    @Test
    void rangesMaySpanRegionsOnlyWhereTheyAreContiguous() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(List.of(
                new OwnedGuestMemory.Placement(0x10000, 0x1000),
                new OwnedGuestMemory.Placement(0x11000, 0x1000),   // contiguous with the first
                new OwnedGuestMemory.Placement(0x20000, 0x1000)))) { // after a hole
            GuestMemory m = g.memory();
            assertThat(m.contains(0x10ff0, 0x20)).as("across the contiguous seam").isTrue();
            assertThat(m.contains(0x10000, 0x2000)).isTrue();
            assertThat(m.contains(0x11ff0, 0x20)).as("into the hole").isFalse();
            assertThat(m.contains(0x10000, 0x10001)).isFalse();

            m.writeLe64(0x10ffc, 0x1122334455667788L); // straddles the seam, split across two mappings
            assertThat(m.readLe64(0x10ffc)).isEqualTo(0x1122334455667788L);
            assertThat(m.readLe32(0x11000)).isEqualTo(0x11223344);

            byte[] data = new byte[0x30];
            for (int i = 0; i < data.length; i++) data[i] = (byte) i;
            m.write(0x10fe8, data, 0, data.length);
            byte[] back = new byte[data.length];
            m.read(0x10fe8, back, 0, back.length);
            assertThat(back).isEqualTo(data);
            assertThatThrownBy(() -> m.readLe16(0x11fff)).isInstanceOf(GuestMemoryException.class);
        }
    }

    @Test
    void overlappingRegionsAreRefused() {
        try (MappedMemory a = MappedMemory.anonymous(0x2000); MappedMemory b = MappedMemory.anonymous(0x1000)) {
            assertThatThrownBy(() -> GuestMemory.of(new MemoryRegion(0x0, 0x2000, a.address(), a),
                    new MemoryRegion(0x1000, 0x1000, b.address(), b)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overlap");
        }
    }

    @Test
    void regionsLargerThanTwoGibibytesWork() {
        // Anonymous NORESERVE memory: only the touched pages are ever backed.
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(4 * GIB, 3 * GIB)) {
            GuestMemory m = g.memory();
            long seam = 4 * GIB + GIB;              // a 1 GiB chunk boundary inside the region
            m.writeLe64(seam - 4, 0x0a0b0c0d0e0f1011L);
            assertThat(m.readLe64(seam - 4)).isEqualTo(0x0a0b0c0d0e0f1011L);
            long last = 7 * GIB - 8;
            m.writeLe64(last, -2L);
            assertThat(m.readLe64(last)).isEqualTo(-2L);
            assertThat(m.contains(4 * GIB, 3 * GIB)).isTrue();
            assertThat(m.contains(last, 9)).isFalse();

            ByteBuffer big = ByteBuffer.allocate(64);
            for (int i = 0; i < 64; i++) big.put((byte) (i * 3));
            big.flip();
            m.write(seam - 32, big);
            ByteBuffer back = ByteBuffer.allocate(64);
            m.read(seam - 32, back);
            assertThat(back.array()).isEqualTo(big.array());
        }
    }

    @Test
    void absoluteBufferCopiesLeaveThePositionAndLimitAlone() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(4 * GIB, 2 * GIB)) {
            GuestMemory m = g.memory();
            ByteBuffer src = ByteBuffer.allocateDirect(64);
            for (int i = 0; i < 64; i++) src.put(i, (byte) (i + 1));
            src.position(5).limit(60);
            long seam = 5 * GIB; // a 1 GiB chunk boundary: the copy across it takes the piecewise path
            for (long at : new long[]{4 * GIB + 4096, seam - 8}) {
                m.write(at, src, 10, 16);
                assertThat(src.position()).isEqualTo(5);
                assertThat(src.limit()).isEqualTo(60);
                ByteBuffer dst = ByteBuffer.allocate(32).position(3).limit(30);
                m.read(at, dst, 4, 16);
                assertThat(dst.position()).isEqualTo(3);
                assertThat(dst.limit()).isEqualTo(30);
                for (int i = 0; i < 16; i++) assertThat(dst.get(4 + i)).as("byte %d at 0x%x", i, at).isEqualTo((byte) (11 + i));
                assertThat(dst.get(3)).isZero();
                assertThat(dst.get(20)).isZero();
            }
            assertThatThrownBy(() -> m.read(4 * GIB, ByteBuffer.allocate(8).limit(4), 0, 8)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.write(6 * GIB - 4, src, 0, 8)).isInstanceOf(GuestMemoryException.class);
        }
    }

    @Test
    void frontEndAddressesTranslateWithinOneRegion() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x100000, 0x4000)) {
            GuestMemory m = g.memory();
            long user = m.regions().get(0).userAddress();
            assertThat(m.guestAddressOfUser(user + 0x10, 0x100)).isEqualTo(0x100010);
            assertThat(m.guestAddressOfUser(user + 0x3f00, 0x100)).isEqualTo(0x103f00);
            assertThat(m.guestAddressOfUser(user + 0x3f00, 0x101)).isEqualTo(-1);
            assertThat(m.guestAddressOfUser(user - 1, 1)).isEqualTo(-1);
            assertThat(m.guestAddressOfUser(-1L, 1)).isEqualTo(-1);
        }
    }

    @Test
    void memfdRegionsAreSharedMappings() {
        try (OwnedGuestMemory g = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(0, 0x10000)))) {
            g.memory().writeLe32(0x100, 0xcafef00d);
            try (MappedMemory again = MappedMemory.shared(g.files().get(0).fd(), 0, 0x10000)) {
                assertThat(again.chunkAt(0).getInt(0x100)).isEqualTo(0xcafef00d);
            }
        }
    }

    @Test
    void writesAreReportedToTheWriteObserver() {
        List<long[]> writes = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            m.writeLe16(0x10, (short) 1);
            m.write(0x100, new byte[7], 0, 7);
            m.readLe64(0x200);
            assertThat(writes).containsExactly(new long[]{0x10, 2}, new long[]{0x100, 7});
        }
    }
}
