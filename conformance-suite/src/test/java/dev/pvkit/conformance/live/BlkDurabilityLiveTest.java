package dev.pvkit.conformance.live;

import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.BlockInfo;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.PatternGenerator;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The back-end runs in its own JVM on a file. The guest writes seeded patterns through its page cache and FLUSHes;
 * the moment the agent's FLUSH answer arrives the back-end is killed with {@code kill -9}, then QEMU. Every
 * flushed byte must be in the file [DEV-BLK-035]. (A kill keeps the host's page cache: this shows the data left
 * the back-end before the FLUSH completed.)
 */
class BlkDurabilityLiveTest {
    private static final int DISK = 32 << 20;
    private static final int WRITES = 16;

    @TempDir
    Path tmp;
    private Process backend;
    private QemuInstance qemu;

    @AfterEach
    void cleanUp() throws Exception {
        try {
            if (backend != null) {
                backend.destroyForcibly();
                assertThat(backend.waitFor(10, TimeUnit.SECONDS)).as("back-end JVM gone").isTrue();
            }
        } finally {
            LiveSupport.killAndCheckGone(qemu, tmp);
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyFlushedByteSurvivesKillMinus9OfTheBackend() throws Exception {
        long t0 = System.nanoTime();
        var image = LiveSupport.image();
        Path socket = tmp.resolve("blk.sock");
        Path file = tmp.resolve("disk.img");
        Path backendLog = tmp.resolve("backend.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        backend = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LiveBlkBackendMain.class.getName(), socket.toString(), file.toString(), Integer.toString(DISK), "1")
                .redirectError(backendLog.toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(backend.getInputStream(), StandardCharsets.UTF_8));
        String ready = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                return "(" + e + ")";
            }
        }).get(30, TimeUnit.SECONDS);
        assertThat(ready).as("back-end JVM started\n" + QemuInstance.tail(backendLog, 30)).isEqualTo("READY");

        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).cpus(1)
                .timeLimit(Duration.ofMinutes(2)).runDirectory(tmp.resolve("run"))
                .device(VhostUserDevice.blk(socket, 1)));
        List<long[]> flushed = new ArrayList<>(); // {offset, length, seed}
        long killedAfterMs;
        try {
            GuestAgent agent = qemu.agent();
            agent.awaitReady(Duration.ofSeconds(90));
            BlockInfo info = agent.awaitDevice("vda", Duration.ofSeconds(60));
            assertThat(info.sizeBytes()).isEqualTo(DISK);
            assertThat(info.serial()).isEqualTo("pvkit-durable");

            // Random, non-overlapping 64 KiB slots; unaligned offsets and lengths inside them.
            SplittableRandom random = new SplittableRandom(20240611L);
            List<Long> slots = new ArrayList<>();
            while (flushed.size() < WRITES) {
                long slot = random.nextLong(DISK / (128 << 10));
                if (slots.contains(slot)) continue;
                slots.add(slot);
                long offset = slot * (128 << 10) + random.nextInt(4096);
                int length = 1 + random.nextInt(100_000);
                long seed = random.nextLong(1L << 32);
                agent.write("vda", offset, length, seed);
                flushed.add(new long[]{offset, length, seed});
            }
            agent.flush("vda");
            long flushedAt = System.nanoTime();
            backend.destroyForcibly();                       // kill -9 as soon as FLUSH has answered
            assertThat(backend.waitFor(10, TimeUnit.SECONDS)).as("back-end died").isTrue();
            killedAfterMs = (System.nanoTime() - flushedAt) / 1_000_000;
            assertThat(backend.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
            qemu.close();
            assertThat(qemu.isAlive()).isFalse();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + qemu.evidence() + "\n--- back-end log ---\n"
                    + QemuInstance.tail(backendLog, 30), e);
        }

        byte[] disk = Files.readAllBytes(file);
        assertThat(disk).hasSize(DISK);
        long bytes = 0;
        for (long[] w : flushed) {
            int length = (int) w[1];
            byte[] got = Arrays.copyOfRange(disk, (int) w[0], (int) w[0] + length);
            assertThat(got).as("flushed write at %d+%d (seed %d)\n--- back-end log ---\n%s", w[0], w[1], w[2],
                    QemuInstance.tail(backendLog, 30)).isEqualTo(PatternGenerator.bytes(w[2], length));
            bytes += length;
        }
        System.out.printf("[live-blk] durability: %d flushed writes (%d bytes) all in the file after kill -9 "
                + "%d ms after FLUSH answered; total %s%n", flushed.size(), bytes, killedAfterMs, LiveSupport.seconds(t0));
    }
}
