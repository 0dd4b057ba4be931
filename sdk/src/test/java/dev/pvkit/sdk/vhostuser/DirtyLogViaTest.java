package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.os.Memfd;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Data written into guest memory in place ({@link GuestMemory#writeVia}) marks the dirty log as a copy does. */
class DirtyLogViaTest {

    @Test
    void writesInPlaceMarkExactlyTheirPagesAndReadsNone() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 1 << 20);
             Memfd file = Memfd.create("dirty-log", 4096).sealSize();
             MappedMemory bitmap = file.map();
             DirtyLog log = new DirtyLog(file.map(), true)) {
            GuestMemory m = g.memory().withWriteObserver(log);
            m.writeVia(0x20ff0, 0x1020, (view, offset) -> view.position(view.limit())); // pages 0x20, 0x21, 0x22
            m.readVia(0x40000, 0x3000, (view, offset) -> view.position(view.limit()));
            assertThat(marked(bitmap)).containsExactly(0x20L, 0x21L, 0x22L);
        }
    }

    private static List<Long> marked(MappedMemory bitmap) {
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            for (int bit = 0; bit < 8; bit++) if ((bitmap.chunkAt(0).get(i) & (1 << bit)) != 0) pages.add(i * 8L + bit);
        }
        return pages;
    }
}
