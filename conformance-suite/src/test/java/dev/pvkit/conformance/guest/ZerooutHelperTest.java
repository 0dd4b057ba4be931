package dev.pvkit.conformance.guest;

import dev.pvkit.conformance.live.Nasm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The guest agent's ZEROES helper, {@code pvkit-zeroout}: the committed bytes are what its source assembles to, and the
 * program answers as its header comment says. (Zeroing a real block device needs one: the live tries do that in the
 * guest, where WRITE_ZEROES requests reach PVKit's device.)
 */
class ZerooutHelperTest {
    @TempDir
    Path tmp;

    @Test
    void committedBytesAreTheAssembledSource() throws Exception {
        assertThat(Nasm.assembleFlat(Path.of("src/main/asm/zeroout.asm").toAbsolutePath(), tmp))
                .as("nasm output vs the committed resource " + GuestImageBuilder.ZEROOUT)
                .isEqualTo(GuestImageBuilder.resourceBytes(GuestImageBuilder.ZEROOUT));
    }

    @Test
    void exitStatusSaysWhatWentWrong() throws Exception {
        Path helper = HelperPrograms.install(GuestImageBuilder.ZEROOUT, tmp, GuestImageBuilder.ZEROOUT);
        Path file = Files.write(tmp.resolve("plain-file"), new byte[8192]);
        assertThat(exit(helper.toString())).as("no arguments").isEqualTo(255);
        assertThat(exit(helper.toString(), file.toString(), "0")).as("two arguments").isEqualTo(255);
        assertThat(exit(helper.toString(), file.toString(), "0x10", "4096")).as("not decimal").isEqualTo(255);
        assertThat(exit(helper.toString(), file.toString(), "", "4096")).as("empty number").isEqualTo(255);
        assertThat(exit(helper.toString(), file.toString(), "1234567890123456789", "4096")).as("more than 18 digits").isEqualTo(255);
        assertThat(exit(helper.toString(), tmp.resolve("missing").toString(), "0", "4096")).as("ENOENT").isEqualTo(2);
        assertThat(exit(helper.toString(), file.toString(), "0", "4096")).as("ENOTTY: not a block device").isEqualTo(25);
    }

    private static int exit(String... command) throws Exception {
        return HelperPrograms.run(command).exit();
    }
}
