package dev.pvkit.conformance.live;

import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.PatternGenerator;
import dev.pvkit.conformance.workload.BlkPatternCheck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the disk must hold: zeroes (a fresh sparse file) overwritten by every seeded write in order. Checks the
 * backing file byte for byte, and the guest's reads of every earlier write.
 */
final class DiskModel {
    private final byte[] bytes;
    private final List<BlkPatternCheck.Write> writes = new ArrayList<>();

    DiskModel(int size) {
        bytes = new byte[size];
    }

    void apply(BlkPatternCheck.Result r) {
        for (BlkPatternCheck.Write w : r.writes()) apply(w);
    }

    void apply(BlkPatternCheck.Write w) {
        System.arraycopy(PatternGenerator.bytes(w.seed(), w.length()), 0, bytes, (int) w.offset(), w.length());
        writes.add(w);
    }

    List<BlkPatternCheck.Write> writes() {
        return List.copyOf(writes);
    }

    /** The whole file equals the model: every written byte is there and nothing else was written. */
    void assertFileMatches(Path file, String when) throws IOException {
        byte[] disk = Files.readAllBytes(file);
        assertThat(disk.length).as("%s: backing file size", when).isEqualTo(bytes.length);
        int at = Arrays.mismatch(disk, bytes);
        assertThat(at).as("%s: first byte where the backing file %s differs from the model of %d writes (-1 = none)",
                when, file, writes.size()).isEqualTo(-1);
    }

    /** The guest reads back what the model says for every write's range (later writes may overlap earlier ones). */
    void assertGuestReads(GuestAgent agent, String dev, String when) {
        for (BlkPatternCheck.Write w : writes) {
            byte[] want = Arrays.copyOfRange(bytes, (int) w.offset(), (int) w.offset() + w.length());
            assertThat(agent.read(dev, w.offset(), w.length()))
                    .as("%s: guest READ of %d+%d (seed %d)", when, w.offset(), w.length(), w.seed())
                    .isEqualTo(PatternGenerator.sha256Hex(want));
        }
    }
}
