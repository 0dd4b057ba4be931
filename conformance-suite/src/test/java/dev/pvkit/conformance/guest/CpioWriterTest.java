package dev.pvkit.conformance.guest;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CpioWriterTest {

    @Test
    void roundTripsThroughCommonsCompress() throws IOException {
        byte[] data = PatternGenerator.bytes(42, 1001); // odd length exercises the padding
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioWriter w = new CpioWriter(bytes)) {
            w.directory("bin");
            w.file("bin/busybox", 0755, data);
            w.symlink("bin/sh", "busybox");
            w.charDevice("dev/console", 5, 1);
            w.file("e", 0644, new byte[0]);
        }
        assertThat(bytes.size() % 4).isZero();

        List<String> seen = new ArrayList<>();
        try (CpioArchiveInputStream in = new CpioArchiveInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            CpioArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                assertThat(e.getFormat()).isEqualTo(CpioConstants.FORMAT_NEW);
                byte[] content = in.readAllBytes();
                seen.add(e.getName());
                switch (e.getName()) {
                    case "bin" -> assertThat(e.isDirectory()).isTrue();
                    case "bin/busybox" -> {
                        assertThat(e.isRegularFile()).isTrue();
                        assertThat(e.getMode() & 07777).isEqualTo(0755);
                        assertThat(content).isEqualTo(data);
                    }
                    case "bin/sh" -> {
                        assertThat(e.isSymbolicLink()).isTrue();
                        assertThat(new String(content, StandardCharsets.UTF_8)).isEqualTo("busybox");
                    }
                    case "dev/console" -> {
                        assertThat(e.isCharacterDevice()).isTrue();
                        assertThat(e.getRemoteDeviceMaj()).isEqualTo(5);
                        assertThat(e.getRemoteDeviceMin()).isEqualTo(1);
                    }
                    case "e" -> assertThat(content).isEmpty();
                    default -> throw new AssertionError("unexpected entry " + e.getName());
                }
            }
        }
        assertThat(seen).containsExactly("bin", "bin/busybox", "bin/sh", "dev/console", "e");
    }

    @Test
    void sameInputsGiveSameBytes() throws IOException {
        assertThat(archive()).isEqualTo(archive());
    }

    @Test
    void rejectsAbsoluteNames() {
        assertThatThrownBy(() -> new CpioWriter(new ByteArrayOutputStream()).file("/init", 0755, new byte[1]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] archive() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (CpioWriter w = new CpioWriter(b)) {
            w.file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
        }
        return b.toByteArray();
    }
}
