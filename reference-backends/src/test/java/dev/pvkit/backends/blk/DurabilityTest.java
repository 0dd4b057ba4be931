package dev.pvkit.backends.blk;

import dev.pvkit.backends.blk.BlkTestBed.Done;
import dev.pvkit.backends.blk.BlkTestBed.Req;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A back-end JVM serving a file gets writes and a FLUSH and is killed with {@code kill -9} the moment the FLUSH
 * completes: the file holds every flushed byte [DEV-BLK-035].
 */
class DurabilityTest {
    static final long SIZE = 4 << 20;

    @TempDir
    Path dir;
    Process backend;

    @AfterEach
    void kill() throws InterruptedException {
        if (backend != null) {
            backend.destroyForcibly();
            backend.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyFlushedByteSurvivesKillMinus9() throws Exception {
        Path socket = dir.resolve("dur.sock");
        Path image = dir.resolve("disk.img");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        backend = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), BlkBackendMain.class.getName(),
                socket.toString(), image.toString(), Long.toString(SIZE))
                .redirectError(dir.resolve("backend.err").toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("READY");

        Random rnd = new Random(42);
        List<long[]> extents = new ArrayList<>();     // {sector, seed, sectors}
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(BlkTestBed.GUEST_BASE, BlkTestBed.GUEST_SIZE)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, BlkTestBed.features(false), ProtocolFeatures.OFFERED)) {
            FrontendQueue q = fe.addQueue(0, BlkTestBed.QUEUE_SIZE, BlkTestBed.RINGS, new IndirectArea(BlkTestBed.INDIRECT, 8));
            BlkTestBed driver = BlkTestBed.overFrontend(fe, q);
            List<Req> writes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                long sector = i * (SIZE / 512 / 40) + rnd.nextInt(50);
                int sectors = 1 + rnd.nextInt(64);
                long seed = rnd.nextLong();
                extents.add(new long[]{sector, seed, sectors});
                writes.add(Req.out(sector, data(seed, sectors)).shaped(1 + i % 3, i % 2 == 0, false));
            }
            assertThat(driver.submit(0, writes)).extracting(Done::status).containsOnly(0);
            Done flush = driver.submit(0, Req.flush());
            backend.destroyForcibly();               // kill -9 the moment the FLUSH has completed
            assertThat(flush.status()).isEqualTo(0);
            assertThat(backend.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        byte[] disk = Files.readAllBytes(image);
        assertThat(disk).hasSize((int) SIZE);
        for (long[] e : extents) {
            byte[] want = data(e[1], (int) e[2]);
            byte[] got = Arrays.copyOfRange(disk, (int) (e[0] * 512), (int) (e[0] * 512) + want.length);
            assertThat(got).as("sector %d", e[0]).isEqualTo(want);
        }
    }

    static byte[] data(long seed, int sectors) {
        byte[] b = new byte[sectors * 512];
        new Random(seed).nextBytes(b);
        return b;
    }
}
