package dev.pvkit.conformance.guest;

import dev.pvkit.conformance.live.Nasm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
        Path helper = Files.write(tmp.resolve(GuestImageBuilder.ZEROOUT), GuestImageBuilder.resourceBytes(GuestImageBuilder.ZEROOUT));
        assertThat(helper.toFile().setExecutable(true)).isTrue();
        Path file = Files.write(tmp.resolve("plain-file"), new byte[8192]);
        assertThat(run(helper.toString()).exit).as("no arguments").isEqualTo(255);
        assertThat(run(helper.toString(), file.toString(), "0").exit).as("two arguments").isEqualTo(255);
        assertThat(run(helper.toString(), file.toString(), "0x10", "4096").exit).as("not decimal").isEqualTo(255);
        assertThat(run(helper.toString(), file.toString(), "", "4096").exit).as("empty number").isEqualTo(255);
        assertThat(run(helper.toString(), tmp.resolve("missing").toString(), "0", "4096").exit).as("ENOENT").isEqualTo(2);
        assertThat(run(helper.toString(), file.toString(), "0", "4096").exit).as("ENOTTY: not a block device").isEqualTo(25);
    }

    private record Run(int exit, String out) {
    }

    private static Run run(String... command) throws Exception {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }
}
