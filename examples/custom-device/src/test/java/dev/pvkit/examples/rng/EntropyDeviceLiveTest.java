package dev.pvkit.examples.rng;

import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.GuestImageBuilder;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The entropy device against a real guest: PVKit's default image (Debian's Linux kernel) under QEMU, the device
 * served over vhost-user as QEMU's {@code vhost-user-rng-pci}, and the guest's own virtio_rng driver behind
 * /dev/hwrng. The device draws from a recording generator, so the test knows every byte it gave and checks that the
 * guest read exactly those, in order. Nothing is mocked.
 */
class EntropyDeviceLiveTest {
    private static final Duration QEMU_LIMIT = Duration.ofMinutes(4);
    /** Where the rng core names the generator /dev/hwrng reads from. */
    private static final String RNG_CURRENT = "/sys/class/misc/hw_random/rng_current";

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    /** vhost-user messages the back-end refused (e.g. a feature QEMU acknowledged that the device did not offer). */
    private final List<String> rejected = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopEverything() {
        try {
            if (qemu != null) qemu.close(); // kills QEMU and all it started, if the guest has not powered off
        } finally {
            if (backend != null) backend.close();
        }
        assertThat(qemu == null || !qemu.isAlive()).as("our QEMU is gone").isTrue();
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES) // backstop; QEMU's own limit is QEMU_LIMIT
    void theGuestsVirtioRngDriverReadsTheDevicesBytesThroughDevHwrng() throws Exception {
        long t0 = System.nanoTime();
        GuestImage image = new GuestImageBuilder().build();
        RecordingRandom random = new RecordingRandom(20261205L);
        AtomicLong negotiated = new AtomicLong();
        Path socket = tmp.resolve("rng.sock");
        backend = VhostUserBackend.serve(new EntropyDevice(random), socket, VhostUserBackend.Options.defaults()
                .withObserver(new BackendObserver() {
                    @Override
                    public void messageRejected(String request, String rule, String detail, String answer) {
                        rejected.add(request + " " + rule + ": " + detail);
                    }

                    @Override
                    public void featuresAcknowledged(long features) {
                        negotiated.set(features);
                    }
                }));
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).timeLimit(QEMU_LIMIT)
                .runDirectory(tmp.resolve("run"))
                // The same arguments as README.md gives for serving by hand.
                .extraArgs("-chardev", "socket,id=rng0,path=" + socket, "-device", "vhost-user-rng-pci,chardev=rng0")
                // Only /dev/hwrng reads the device: the rng core's kernel thread would otherwise feed the kernel's
                // entropy pool from it too, and take bytes from between two reads of ours.
                .kernelArgs("rng_core.default_quality=0"));
        try {
            GuestAgent agent = qemu.agent();
            agent.awaitReady(Duration.ofSeconds(150));
            agent.timeout(Duration.ofSeconds(30)); // a device that never answers leaves the guest's read waiting
            long booted = System.nanoTime();

            assertThat(awaitCurrentRng(agent, Duration.ofSeconds(60))).as(RNG_CURRENT).isEqualTo("virtio_rng.0");
            assertThat(new String(agent.dump("/sys/module/rng_core/parameters/default_quality", 16), StandardCharsets.US_ASCII))
                    .as("the rng core's kernel thread stays away from the device").isEqualTo("0\n");
            byte[] first = agent.dump("/dev/hwrng", 64);
            byte[] second = agent.dump("/dev/hwrng", 64);

            byte[] given = random.given();
            assertThat(first).as("bytes read from /dev/hwrng").hasSize(64);
            assertThat(second).as("bytes read from /dev/hwrng").hasSize(64);
            int at = indexOf(given, first, 0);
            assertThat(at).as("the guest's first 64 bytes %s are a run of the %d bytes the device gave: %s",
                    hex(first), given.length, hex(given)).isGreaterThanOrEqualTo(0);
            assertThat(indexOf(given, second, at + first.length)).as("the second read continues after the first: %s",
                    hex(second)).isGreaterThanOrEqualTo(at + first.length);
            assertThat(rejected).as("vhost-user messages the back-end refused").isEmpty();
            assertThat(VirtioFeatures.has(negotiated.get(), VirtioFeatures.VERSION_1)).as("VERSION_1 negotiated").isTrue();
            assertThat(agent.dmesg()).as("kernel log: virtio_rng and the rng core log only trouble")
                    .noneMatch(line -> line.contains("virtio_rng") || line.contains("hwrng"));

            agent.poweroff();
            assertThat(qemu.awaitExit(Duration.ofSeconds(60))).as("QEMU's exit status after poweroff").isZero();
            System.out.printf("[rng] image and boot %.1f s, features 0x%x, %d bytes given by the device, the guest's "
                    + "first read from byte %d: %s...%n", (booted - t0) / 1e9, negotiated.get(), given.length, at,
                    hex(first).substring(0, 16));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\nrefused by the back-end: " + rejected + "\n" + qemu.evidence(), e);
        }
    }

    /** rng_current as the guest's rng core states it, once it names a generator (the driver probes on its own time). */
    private static String awaitCurrentRng(GuestAgent agent, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            String current = new String(agent.dump(RNG_CURRENT, 64), StandardCharsets.US_ASCII).strip();
            if (!current.isEmpty() && !current.equals("none") || System.nanoTime() > deadline) return current;
            Thread.sleep(200);
        }
    }

    /** Where {@code run} first occurs in {@code all} at or after {@code from}, or -1. */
    private static int indexOf(byte[] all, byte[] run, int from) {
        outer:
        for (int i = Math.max(0, from); i + run.length <= all.length; i++) {
            for (int j = 0; j < run.length; j++) if (all[i + j] != run[j]) continue outer;
            return i;
        }
        return -1;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A seeded generator that keeps every byte it hands out, in order. */
    static final class RecordingRandom extends Random {
        private final ByteArrayOutputStream given = new ByteArrayOutputStream();

        RecordingRandom(long seed) {
            super(seed);
        }

        @Override
        public synchronized void nextBytes(byte[] bytes) {
            super.nextBytes(bytes);
            given.write(bytes, 0, bytes.length);
        }

        synchronized byte[] given() {
            return given.toByteArray();
        }
    }
}
