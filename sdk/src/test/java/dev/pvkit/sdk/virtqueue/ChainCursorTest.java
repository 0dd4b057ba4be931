package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The reader and writer treat a scatter list as one stream, whatever its segment boundaries. */
class ChainCursorTest {

    static final long BASE = 0x10000;

    static Chain chainOf(List<Segment> readable, List<Segment> writable) {
        long r = readable.stream().mapToLong(Segment::unsignedLength).sum();
        long w = writable.stream().mapToLong(Segment::unsignedLength).sum();
        return new Chain(0, readable, writable, r, w, 1, List.of(), 0);
    }

    /** Segments of the given lengths laid out with gaps between them. */
    static List<Segment> segments(long start, List<Integer> lengths) {
        List<Segment> out = new ArrayList<>();
        long a = start;
        for (int len : lengths) {
            out.add(new Segment(a, len));
            a += len + 7;
        }
        return out;
    }

    @Property(tries = 300)
    void writtenBytesReadBackInOrderAcrossAnySegmentation(@ForAll @Size(min = 1, max = 6) List<@IntRange(max = 300) Integer> lengths,
                                                          @ForAll @IntRange(min = 1, max = 97) int piece) {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x10000)) {
            GuestMemory m = g.memory();
            List<Segment> segs = segments(BASE, lengths);
            Chain c = chainOf(segs, segs);
            int total = lengths.stream().mapToInt(Integer::intValue).sum();
            byte[] data = new byte[total];
            for (int i = 0; i < total; i++) data[i] = (byte) (i * 31 + 7);

            ChainWriter w = c.writer(m);
            for (int at = 0; at < total; at += piece) w.write(data, at, Math.min(piece, total - at));
            assertThat(w.written()).isEqualTo(total);
            assertThat(w.remaining()).isZero();

            ChainReader r = c.reader(m);
            byte[] back = new byte[total];
            for (int at = 0; at < total; at += piece) r.read(back, at, Math.min(piece, total - at));
            assertThat(back).isEqualTo(data);
            assertThat(r.remaining()).isZero();
        }
    }

    @Test
    void skipMovesAcrossSegmentsAndOverrunsAreRefused() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x10000)) {
            GuestMemory m = g.memory();
            m.write(BASE, new byte[]{1, 2, 3}, 0, 3);
            m.write(BASE + 0x100, new byte[]{4, 5}, 0, 2);
            Chain c = chainOf(List.of(new Segment(BASE, 3), new Segment(BASE + 0x200, 0), new Segment(BASE + 0x100, 2)), List.of());
            ChainReader r = c.reader(m);
            r.skip(2);
            assertThat(r.readBytes(2)).containsExactly(3, 4);
            assertThat(r.remaining()).isEqualTo(1);
            assertThatThrownBy(() -> r.readBytes(2)).isInstanceOf(IllegalStateException.class).hasMessageContaining("1 bytes left");
            assertThatThrownBy(() -> c.writer(m).writeByte(0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void skipsOfTwoGibibytesAndMoreEndAndLandOnTheRightByte() {
        // Segments near 4 GiB long, as a split chain may carry; skipping moves no data, so their addresses need
        // not be mapped. The byte after them is real memory.
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, 0x10000)) {
            GuestMemory m = g.memory();
            m.write(BASE, new byte[]{42}, 0, 1);
            long huge = 0xffff_fff0L;
            Chain c = chainOf(List.of(new Segment(0x1_0000_0000L, (int) huge), new Segment(0x2_0000_0000L, (int) huge),
                    new Segment(BASE, 1)), List.of());
            ChainReader r = c.reader(m);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                r.skip(3L << 30);                   // 3 GiB inside the first segment
                r.skip(huge - (3L << 30) + huge);   // the rest of it and all of the second
            });
            assertThat(r.remaining()).isEqualTo(1);
            assertThat(r.readBytes(1)).containsExactly(42);
        }
    }
}
