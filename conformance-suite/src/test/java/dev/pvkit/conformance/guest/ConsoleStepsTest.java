package dev.pvkit.conformance.guest;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Following a console the machine is still writing: whatever the guests print must not stop the rig. A CI run once
 * lost a whole Xen rig run to "Input length = 1" when the console was read as strict UTF-8.
 */
class ConsoleStepsTest {
    @TempDir
    Path dir;
    private Path console;
    private final List<String> steps = new ArrayList<>();

    @BeforeEach
    void anEmptyConsole() throws Exception {
        console = Files.createFile(dir.resolve("serial.log"));
    }

    private void append(Path f, byte[] bytes) throws Exception {
        Files.write(f, bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void bytesThatAreNotUtf8AndACharacterCutInTwoPassAndTheStepsAfterThemArrive() throws Exception {
        try (ConsoleSteps follower = new ConsoleSteps(console, XenRig.STEP)) {
            ByteArrayOutputStream noise = new ByteArrayOutputStream();
            noise.writeBytes("[  3.1] garbage \u00ff\u00fe ".getBytes(StandardCharsets.ISO_8859_1));
            noise.writeBytes(new byte[] {(byte) 0xc3, 0x28, (byte) 0x80, '\n'});
            noise.writeBytes("PVKIT-RIG dom0 up\n".getBytes(StandardCharsets.US_ASCII));
            // The first two bytes of a three-byte character: the rest arrives after this read.
            noise.writeBytes(new byte[] {'x', (byte) 0xe2, (byte) 0x82});
            append(console, noise.toByteArray());
            follower.drain(steps::add);
            assertThat(steps).containsExactly("dom0 up");

            append(console, new byte[] {(byte) 0xac, '\n'});
            append(console, "PVKIT-RIG domU created\nPVKIT-RIG domU ru".getBytes(StandardCharsets.US_ASCII));
            follower.drain(steps::add);
            append(console, "nning\n".getBytes(StandardCharsets.US_ASCII));
            follower.drain(steps::add);
            append(console, "PVKIT-RIG done".getBytes(StandardCharsets.US_ASCII)); // the machine stopped mid-line
            follower.drain(steps::add);
            assertThat(steps).as("a line still open is not a step yet").hasSize(3);
            follower.finish(steps::add);
        }
        assertThat(steps).containsExactly("dom0 up", "domU created", "domU running", "done");
    }

    @Test
    void aLineWithoutEndKeepsOnlyItsTail() throws Exception {
        try (ConsoleSteps follower = new ConsoleSteps(console, XenRig.STEP)) {
            byte[] noise = new byte[ConsoleSteps.MAX_LINE];
            java.util.Arrays.fill(noise, (byte) 'x');
            for (int i = 0; i < 4; i++) {
                append(console, noise);
                follower.drain(steps::add);
                assertThat(follower.held()).isLessThanOrEqualTo(ConsoleSteps.MAX_LINE);
            }
            append(console, "PVKIT-RIG after the noise\n".getBytes(StandardCharsets.US_ASCII));
            follower.drain(steps::add);
        }
        assertThat(steps).containsExactly("after the noise");
    }
}
