package dev.pvkit.conformance.guest;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.backends.blk.ForwardingBlockStore;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.live.ByteRanges;
import dev.pvkit.conformance.live.LiveSupport;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole harness against a real guest: the default image (built or reused), the reference virtio-blk back-end
 * served over vhost-user, QEMU under TCG, the agent writing, flushing and reading, and the host checking the
 * back-end's bytes against {@link PatternGenerator} and the agent's SHA-256. Nothing is mocked.
 */
class LiveGuestTest {
    private static final long DISK = 16 << 20;
    private static final Duration BOOT_AND_RUN_LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    private DiscardLog discards;

    @AfterEach
    void cleanUp() throws Exception {
        // Other modules' tests may run their own QEMU at the same time; ours all carry this test's temp directory.
        String left = LiveSupport.killAndCheckGone(qemu, tmp, backend);
        System.out.println("[live] QEMU processes after clean-up: " + (left.isEmpty() ? "(none)" : left));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // backstop; QEMU's own limit is BOOT_AND_RUN_LIMIT
    void agentWritesFlushesAndReadsThroughAPvkitBlockDevice() throws Exception {
        long t0 = System.nanoTime();
        GuestImage image = new GuestImageBuilder().build();
        long imageMs = (System.nanoTime() - t0) / 1_000_000;

        MemoryBlockStore store = new MemoryBlockStore(DISK);
        discards = new DiscardLog(store);
        VirtioBlkDevice disk = new VirtioBlkDevice(discards, BlkOptions.defaults(DISK).withQueues(2).withSerial("pvkit-live"));
        backend = VhostUserBackend.serve(disk, tmp.resolve("blk.sock"));

        long t1 = System.nanoTime();
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).cpus(2) // virtio_blk uses at most one queue per CPU
               .timeLimit(BOOT_AND_RUN_LIMIT)
                .runDirectory(tmp.resolve("run")).device(VhostUserDevice.blk(tmp.resolve("blk.sock"), 2)));
        try {
            exercise(image, store, imageMs, t1);
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + qemu.evidence(), e);
        }
    }

    private void exercise(GuestImage image, MemoryBlockStore store, long imageMs, long t1) throws Exception {
        GuestAgent agent = qemu.agent();
        AgentProtocol.Banner banner = agent.awaitReady(Duration.ofSeconds(120));
        long bootMs = (System.nanoTime() - t1) / 1_000_000;
        assertThat(banner.kernel()).isEqualTo(image.kernelVersion());
        assertThat(qemu.accelerator()).isEqualTo(Accelerator.TCG);

        BlockInfo info = agent.awaitDevice("vda", Duration.ofSeconds(60));
        assertThat(info.sizeBytes()).as(qemu.evidence()).isEqualTo(DISK);
        assertThat(info.queues()).isEqualTo(2);
        assertThat(info.driver()).isEqualTo("virtio_blk");
        assertThat(info.serial()).isEqualTo("pvkit-live");
        assertThat(info.hasFeature(32)).as("VERSION_1").isTrue();

        long t2 = System.nanoTime();
        // An unaligned range crossing page boundaries, and an aligned one.
        long[][] ranges = {{1_000_003, 70_001, 0xC0FFEEL}, {4 << 20, 64 << 10, 0}};
        for (long[] r : ranges) {
            long off = r[0];
            int len = (int) r[1];
            agent.write("vda", off, len, r[2]);
            agent.flush("vda");
            byte[] backing = new byte[len];
            store.read(off, ByteBuffer.wrap(backing));
            String hostHash = PatternGenerator.sha256Hex(backing);
            assertThat(backing).as("back-end bytes = Java pattern (seed %d)", r[2]).isEqualTo(PatternGenerator.bytes(r[2], len));
            assertThat(agent.read("vda", off, len)).as("guest READ hash = host hash").isEqualTo(hostHash);
        }
        // The guest reads what the device holds now, not its cache: change the back-end behind its back.
        byte[] poke = PatternGenerator.bytes(99, 4096);
        store.write(8 << 20, ByteBuffer.wrap(poke));
        assertThat(agent.read("vda", 8 << 20, 4096)).isEqualTo(PatternGenerator.sha256Hex(poke));
        long ioMs = (System.nanoTime() - t2) / 1_000_000;

        // The driver resets and re-initializes the device; the data is still there afterwards.
        agent.rebind("virtio_blk", info.device());
        agent.awaitDevice("vda", Duration.ofSeconds(60));
        assertThat(agent.read("vda", 8 << 20, 4096)).as("after REBIND").isEqualTo(PatternGenerator.sha256Hex(poke));
        // The PVKit back-end offers DISCARD, so the guest's driver must use it: the request reaches the back-end,
        // and the memory store zeroes what was discarded (virtio leaves the content unspecified; this store is exact).
        assertThat(info.discardMaxBytes()).as("discard_max_bytes in the guest").isPositive();
        AgentReply discard = agent.discard("vda", 4 << 20, 64 << 10);
        assertThat(discard.ok()).as("DISCARD: " + discard).isTrue();
        assertThat(discards.covers(4 << 20, 64 << 10)).as("discards seen by the back-end: " + discards).isTrue();
        byte[] discarded = new byte[64 << 10];
        store.read(4 << 20, ByteBuffer.wrap(discarded));
        assertThat(discarded).as("back-end bytes after DISCARD").containsOnly(0);
        assertThat(agent.read("vda", 4 << 20, 64 << 10)).as("guest READ after DISCARD")
                .isEqualTo(PatternGenerator.sha256Hex(new byte[64 << 10]));

        List<String> dmesg = agent.dmesg();
        assertThat(String.join("\n", dmesg)).contains("virtio_blk");
        assertThat(agent.dmesg()).as("DMESG returns only new messages").hasSizeLessThan(dmesg.size());

        agent.poweroff();
        assertThat(qemu.awaitExit(Duration.ofSeconds(30))).as("QEMU exit status after poweroff").isZero();
        assertThat(qemu.timedOut()).isFalse();
        System.out.printf("[live] image %d ms, boot to agent banner %d ms, I/O %d ms (kernel %s)%n",
                imageMs, bootMs, ioMs, image.kernelVersion());
    }

    /**
     * The guest ends QEMU with a code of its own: the agent's EXIT writes it to the default template's
     * isa-debug-exit device, QEMU exits with (code << 1) | 1, and {@link QemuInstance#awaitResult} decodes it.
     */
    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void exitEndsQemuWithTheGuestsCode() throws Exception {
        GuestImage image = new GuestImageBuilder().build();
        long t0 = System.nanoTime();
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).timeLimit(BOOT_AND_RUN_LIMIT)
                .runDirectory(tmp.resolve("run")));
        try {
            qemu.agent().awaitReady(Duration.ofSeconds(120));
            qemu.agent().exit(42);
            QemuExit exit = qemu.awaitResult(Duration.ofSeconds(30));
            assertThat(exit.status()).as(exit.toString()).isEqualTo(85);
            assertThat(exit.guestCode()).hasValue(42);
            assertThat(exit.poweredOff()).isFalse();
            assertThat(QemuInstance.tail(qemu.consoleLog(), 200)).doesNotContain("no isa-debug-exit device");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + qemu.evidence(), e);
        }
        System.out.printf("[live] EXIT 42 -> QEMU status 85 after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Passes everything to a store and records the discarded byte ranges. */
    private static final class DiscardLog extends ForwardingBlockStore {
        private final ByteRanges ranges = new ByteRanges();

        DiscardLog(BlockStore inner) {
            super(inner);
        }

        /** Whether the discards together cover [offset, offset + length). */
        boolean covers(long offset, long length) {
            return ranges.covers(offset, length);
        }

        @Override
        public String toString() {
            return ranges.list().stream().map(r -> r[0] + "+" + r[1]).toList().toString();
        }

        @Override
        public void discard(long offset, long length) throws IOException {
            ranges.add(offset, length);
            super.discard(offset, length);
        }
    }
}
