package dev.pvkit.sdk.memory;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link GuestMemory#readVia} and {@link GuestMemory#writeVia}: guest memory as the I/O buffer itself. */
class GuestMemoryViaTest {
    private static final long GIB = 1L << 30;

    /** A piece as the transfer saw it, and what the write observer had been told by then. */
    record Piece(long offset, int length, boolean direct, boolean readOnly, int writesReportedBefore) {
    }

    @Test
    void writeViaFillsGuestMemoryInPlaceAndReportsTheWriteAfterwards() {
        List<long[]> writes = new ArrayList<>();
        List<Piece> pieces = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x10000)) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            m.writeVia(0x10ff0, 40, (view, offset) -> {
                pieces.add(new Piece(offset, view.remaining(), view.isDirect(), view.isReadOnly(), writes.size()));
                for (int i = 0; view.hasRemaining(); i++) view.put((byte) (i + 1));
            });
            assertThat(pieces).containsExactly(new Piece(0, 40, true, false, 0));
            assertThat(writes).as("told once the data is in place").containsExactly(new long[]{0x10ff0, 40});
            byte[] back = new byte[42];
            m.read(0x10fef, back, 0, 42);
            assertThat(back[0]).as("before the range").isZero();
            assertThat(back[1]).isEqualTo((byte) 1);
            assertThat(back[40]).isEqualTo((byte) 40);
            assertThat(back[41]).as("after the range").isZero();
        }
    }

    @Test
    void readViaSeesGuestBytesReadOnlyAndReportsNoWrite() {
        List<long[]> writes = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x10000)) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            m.write(0x12000, new byte[]{5, 6, 7, 8}, 0, 4);
            writes.clear();
            ByteBuffer copy = ByteBuffer.allocate(4);
            m.readVia(0x12000, 4, (view, offset) -> {
                assertThat(view.isDirect()).isTrue();
                assertThatThrownBy(() -> view.put(view.position(), (byte) 0)).isInstanceOf(ReadOnlyBufferException.class);
                copy.put(view);
            });
            assertThat(copy.array()).containsExactly(5, 6, 7, 8);
            assertThat(writes).isEmpty();
        }
    }

    @Test
    void aRangeAcrossContiguousRegionsComesInOnePiecePerRegion() {
        List<long[]> writes = new ArrayList<>();
        List<long[]> pieces = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(List.of(
                new OwnedGuestMemory.Placement(0x10000, 0x1000),
                new OwnedGuestMemory.Placement(0x11000, 0x1000)))) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            m.writeVia(0x10f00, 0x200, (view, offset) -> {
                pieces.add(new long[]{offset, view.remaining()});
                while (view.hasRemaining()) view.put((byte) 9);
            });
            assertThat(pieces).containsExactly(new long[]{0, 0x100}, new long[]{0x100, 0x100});
            assertThat(writes).containsExactly(new long[]{0x10f00, 0x100}, new long[]{0x11000, 0x100});
            byte[] back = new byte[0x200];
            m.read(0x10f00, back, 0, back.length);
            for (byte b : back) assertThat(b).isEqualTo((byte) 9);

            pieces.clear();
            m.readVia(0x10f00, 0x200, (view, offset) -> {
                pieces.add(new long[]{offset, view.remaining()});
                view.position(view.limit());
            });
            assertThat(pieces).containsExactly(new long[]{0, 0x100}, new long[]{0x100, 0x100});
        }
    }

    @Test
    void aRangeAcrossAMappingChunkComesInOnePiecePerChunk() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(4 * GIB, 2 * GIB)) { // NORESERVE: only touched pages count
            GuestMemory m = g.memory();
            long seam = 5 * GIB;
            List<long[]> pieces = new ArrayList<>();
            m.writeVia(seam - 16, 48, (view, offset) -> {
                pieces.add(new long[]{offset, view.remaining()});
                while (view.hasRemaining()) view.put((byte) (offset + 1));
            });
            assertThat(pieces).containsExactly(new long[]{0, 16}, new long[]{16, 32});
            assertThat(m.readU8(seam - 1)).isEqualTo((byte) 1);
            assertThat(m.readU8(seam)).isEqualTo((byte) 17);
        }
    }

    @Test
    void rangesOutsideTheMapAreRefusedBeforeTheTransferSeesAnything() {
        List<long[]> refused = new ArrayList<>();
        List<long[]> writes = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(List.of(
                new OwnedGuestMemory.Placement(0x10000, 0x1000),
                new OwnedGuestMemory.Placement(0x20000, 0x1000)))) { // a hole between them
            GuestMemory m = g.memory().withGuard((a, l, w) -> refused.add(new long[]{a, l, w ? 1 : 0}))
                    .withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            GuestMemory.Transfer<RuntimeException> never = (view, offset) -> {
                throw new AssertionError("transfer called for a range outside the map");
            };
            assertThatThrownBy(() -> m.writeVia(0x10f00, 0x200, never)).as("into the hole").isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.readVia(0x20f00, 0x101, never)).as("past the end").isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.readVia(0xffff, 2, never)).as("before the start").isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.writeVia(Long.MAX_VALUE - 1, 4, never)).as("wrapping").isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.writeVia(0x10000, -1, never)).as("negative").isInstanceOf(GuestMemoryException.class);
            assertThatThrownBy(() -> m.readVia(0x30000, 0, never)).as("empty, outside").isInstanceOf(GuestMemoryException.class);
            assertThat(refused).containsExactly(new long[]{0x10f00, 0x200, 1}, new long[]{0x20f00, 0x101, 0},
                    new long[]{0xffff, 2, 0}, new long[]{Long.MAX_VALUE - 1, 4, 1}, new long[]{0x10000, -1, 1}, new long[]{0x30000, 0, 0});
            assertThat(writes).isEmpty();

            m.writeVia(0x10800, 0, never); // empty, inside: nothing to move, nothing written
            m.readVia(0x10fff, 0, never);
            assertThat(writes).isEmpty();
        }
    }

    @Test
    void aFailingTransferStillReportsItsPieceAsWritten() {
        List<long[]> writes = new ArrayList<>();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x10000)) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> writes.add(new long[]{a, l}));
            assertThatThrownBy(() -> m.writeVia(0x11000, 512, (view, offset) -> {
                view.put((byte) 1); // some bytes land before the failure
                throw new java.io.IOException("disk gone");
            })).isInstanceOf(java.io.IOException.class);
            assertThat(writes).as("the dirty log must not miss what did land").containsExactly(new long[]{0x11000, 512});

            writes.clear();
            assertThatThrownBy(() -> m.writeVia(0x11000, 512, (view, offset) -> view.put((byte) 1)))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("511 of 512");
            assertThat(writes).containsExactly(new long[]{0x11000, 512});
        }
    }

    @Test
    void aNestedTransferOnTheSameThreadDoesNotMoveTheOuterView() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x10000)) {
            GuestMemory m = g.memory();
            m.fill(0x10000, 16, (byte) 3);
            m.writeVia(0x11000, 16, (outer, offset) -> {
                int at = outer.position();
                m.readVia(0x10000, 16, (inner, o) -> outer.put(inner)); // same region, same chunk
                assertThat(outer.position()).isEqualTo(at + 16);
            });
            byte[] back = new byte[16];
            m.read(0x11000, back, 0, 16);
            for (byte b : back) assertThat(b).isEqualTo((byte) 3);
        }
    }

    @Test
    void steadyStateAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x10000)) {
            GuestMemory m = g.memory().withWriteObserver((a, l) -> { });
            GuestMemory.Transfer<RuntimeException> fill = (view, offset) -> view.position(view.limit());
            for (int i = 0; i < 20_000; i++) m.writeVia(0x10000 + (i & 0xff) * 64, 4096, fill); // views made, code warm
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                m.writeVia(0x10000 + (i & 0xff) * 64, 4096, fill);
                m.readVia(0x10000 + (i & 0xff) * 64, 4096, fill);
            }
            long bytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(bytes).as("bytes allocated by 20000 transfers").isLessThan(20_000);
        }
    }
}
