package dev.pvkit.conformance.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The test boot sectors of {@code firmware/bootsector.asm} on a 1 MiB disk image, as firmware tests serve them. */
final class BootSectorDisks {
    /** Prints the checksum of 16 sectors and exits with 0x10 (or 0x11 on an int 13h error). */
    static final String PROBE = "/firmware/bootsector.bin";
    /** The same, reporting in PVKit's guest-result convention: 0 when its reads worked, 0x11 when they failed. */
    static final String SELF_CHECK = "/firmware/bootsector-result.bin";

    private BootSectorDisks() {
    }

    /** {@code resource} on a 1 MiB image in {@code dir} (made once; the sectors after it are zeros). */
    static Path disk(Path dir, String resource) throws IOException {
        Path disk = dir.resolve(Path.of(resource).getFileName().toString().replace(".bin", ".img"));
        if (Files.exists(disk)) return disk;
        byte[] image = new byte[1 << 20];
        try (InputStream in = BootSectorDisks.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource + " on the test classpath").isNotNull();
            byte[] bs = in.readAllBytes();
            System.arraycopy(bs, 0, image, 0, bs.length);
        }
        return Files.write(disk, image);
    }
}
