package dev.pvkit.conformance.guest;

import dev.pvkit.conformance.live.Nasm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest agent's pattern maker, {@code pvkit-pattern}: the committed bytes are what its source assembles to, its
 * output is {@link PatternGenerator}'s byte for byte (across its 64 KiB buffer's edges, and for seed 0), and a wrong
 * command line exits 255 having written nothing.
 */
class PatternHelperTest {
    @TempDir
    Path tmp;

    @Test
    void committedBytesAreTheAssembledSource() throws Exception {
        assertThat(Nasm.assembleFlat(Path.of("src/main/asm/pattern.asm").toAbsolutePath(), tmp))
                .as("nasm output vs the committed resource " + GuestImageBuilder.PATTERN)
                .isEqualTo(GuestImageBuilder.resourceBytes(GuestImageBuilder.PATTERN));
    }

    @Test
    void writesThePatternOfAppendixB4() throws Exception {
        Path helper = helper();
        long[][] cases = {{0, 7}, {1, 7}, {3, 0}, {4, 2463534242L}, {10, 7}, {65_535, 1}, {65_536, 4294967295L},
                {65_537, 123456789}, {200_003, 20261206}, {1 << 20, 0}};
        for (long[] c : cases) {
            HelperPrograms.Run r = HelperPrograms.run(helper.toString(), Long.toString(c[0]), Long.toString(c[1]));
            assertThat(r.exit()).as("exit, length %d seed %d", c[0], c[1]).isZero();
            assertThat(r.out()).as("length %d seed %d", c[0], c[1]).isEqualTo(PatternGenerator.bytes(c[1], (int) c[0]));
        }
    }

    @Test
    void aWrongCommandLineExits255AndWritesNothing() throws Exception {
        String h = helper().toString();
        List<String[]> bad = List.of(new String[]{h}, new String[]{h, "16"}, new String[]{h, "16", "1", "2"},
                new String[]{h, "", "1"}, new String[]{h, "16", ""}, new String[]{h, "0x10", "1"}, new String[]{h, "16", "-1"},
                new String[]{h, "16", "4294967296"}, new String[]{h, "1234567890123456789", "1"});
        for (String[] command : bad) {
            HelperPrograms.Run r = HelperPrograms.run(command);
            assertThat(r.exit()).as(String.join(" ", command)).isEqualTo(255);
            assertThat(r.out()).as(String.join(" ", command)).isEmpty();
        }
    }

    private Path helper() throws Exception {
        return HelperPrograms.install(GuestImageBuilder.PATTERN, tmp, GuestImageBuilder.PATTERN);
    }
}
