package dev.pvkit.backends.blk;

import dev.pvkit.backends.blk.BlkDriver.Req;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A back-end JVM serving a file gets writes and a FLUSH and is killed with {@code kill -9} the moment the FLUSH
 * completes: the file holds every flushed byte [DEV-BLK-035]. The back-end being another process, this test drives
 * it over vhost-user with the Java front-end, not through the test kit.
 */
class DurabilityTest {
    static final long SIZE = 4 << 20;
    static final long GUEST_BASE = 0x100000;
    static final long RINGS = GUEST_BASE;
    static final long INDIRECT = GUEST_BASE + 0x100000;
    static final long DATA = GUEST_BASE + 0x400000;   // request k: + 64 KiB * k

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
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 16 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, BlkDriver.features(false), ProtocolFeatures.OFFERED)) {
            FrontendQueue q = fe.addQueue(0, BlkDriver.QUEUE_SIZE, RINGS, new IndirectArea(INDIRECT, 8));
            List<Req> writes = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                long sector = i * (SIZE / 512 / 40) + rnd.nextInt(50);
                int sectors = 1 + rnd.nextInt(64);
                long seed = rnd.nextLong();
                extents.add(new long[]{sector, seed, sectors});
                writes.add(Req.out(sector, data(seed, sectors)).shaped(1 + i % 3, i % 2 == 0, false));
            }
            assertThat(submit(guest.memory(), q, writes)).containsOnly(0);
            List<Integer> flush = submit(guest.memory(), q, List.of(Req.flush()));
            backend.destroyForcibly();               // kill -9 the moment the FLUSH has completed
            assertThat(flush).containsExactly(0);
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

    /** Lays out each request as {@link BlkDriver} would, posts them all, kicks once, waits; their status bytes. */
    static List<Integer> submit(GuestMemory m, FrontendQueue q, List<Req> reqs) {
        List<Long> statusAt = new ArrayList<>();
        for (int k = 0; k < reqs.size(); k++) {
            Buffers b = reqs.get(k).buffers();
            long at = DATA + 0x10000L * k;
            List<Segment> readable = new ArrayList<>();
            List<Segment> writable = new ArrayList<>();
            for (byte[] d : b.readable()) {
                m.write(at, d, 0, d.length);
                readable.add(new Segment(at, d.length));
                at += (d.length + 15) & ~15;
            }
            for (int len : b.writable()) {
                m.fill(at, len, BlkDriver.UNWRITTEN);
                writable.add(new Segment(at, len));
                at += (len + 15) & ~15;
            }
            Segment last = writable.get(writable.size() - 1);
            statusAt.add(last.address() + last.length() - 1);
            q.post(readable, writable, b.indirect());
        }
        q.publishAndKick();
        assertThat(q.awaitUsed(reqs.size(), Duration.ofSeconds(10))).hasSize(reqs.size());
        return statusAt.stream().map(a -> m.readU8(a) & 0xff).toList();
    }

    static byte[] data(long seed, int sectors) {
        byte[] b = new byte[sectors * 512];
        new Random(seed).nextBytes(b);
        return b;
    }
}
