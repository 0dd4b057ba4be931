package dev.pvkit.conformance.live;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.BlockInfo;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.GuestImage;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.workload.BlkPatternCheck;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Linux guest writes seeded patterns at random offsets through its own virtio_blk driver, flushes and reads
 * them back ({@link BlkPatternCheck}); the host compares the back-end's backing file byte for byte with a model of
 * the disk. Split and packed rings, one and two queues (two vCPUs, so Linux uses both), under TCG.
 */
class BlkDataIntegrityLiveTest {
    private static final int DISK = 32 << 20;
    private static final int WRITES = 12;
    private static final Duration BOOT_AND_RUN_LIMIT = Duration.ofMinutes(2);
    private static GuestImage image;

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    private FileBlockStore store;

    @BeforeAll
    static void buildImage() throws Exception {
        image = LiveSupport.image();
    }

    @AfterEach
    void cleanUp() throws Exception {
        LiveSupport.killAndCheckGone(qemu, tmp, backend, store);
    }

    @ParameterizedTest(name = "{0} ring, {1} queue(s)")
    @CsvSource({"split, 1", "packed, 1", "split, 2", "packed, 2"})
    @Timeout(value = 4, unit = TimeUnit.MINUTES) // backstop; QEMU's own limit is BOOT_AND_RUN_LIMIT
    void guestPatternsReachTheBackingFile(String ring, int queues) throws Exception {
        boolean packed = ring.equals("packed");
        long t0 = System.nanoTime();
        Path file = tmp.resolve("disk.img");
        store = FileBlockStore.create(file, DISK);
        RecordingObserver events = new RecordingObserver();
        VirtioBlkDevice device = new VirtioBlkDevice(store, BlkOptions.defaults(DISK).withQueues(queues)
                .withSerial("pvkit-integrity"));
        backend = VhostUserBackend.serve(device, tmp.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withWorkers(queues).withObserver(events));
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).cpus(queues).memoryMiB(256)
                .timeLimit(BOOT_AND_RUN_LIMIT).runDirectory(tmp.resolve("run"))
                .device(VhostUserDevice.blk(tmp.resolve("blk.sock"), queues).withPacked(packed)));
        try {
            GuestAgent agent = qemu.agent();
            agent.awaitReady(Duration.ofSeconds(90));
            long booted = System.nanoTime();
            BlockInfo info = agent.awaitDevice("vda", Duration.ofSeconds(60));
            assertThat(info.sizeBytes()).isEqualTo(DISK);
            assertThat(info.driver()).isEqualTo("virtio_blk");
            assertThat(info.queues()).as("hardware queues the guest uses (INFO queues=)").isEqualTo(queues);
            assertThat(info.hasFeature(VirtioFeatures.RING_PACKED)).as("guest negotiated RING_PACKED (bit 34)")
                    .isEqualTo(packed);
            assertThat(events.acknowledgedFeatures()).as("back-end saw SET_FEATURES").isNotEqualTo(-1);
            assertThat(VirtioFeatures.has(events.acknowledgedFeatures(), VirtioFeatures.RING_PACKED))
                    .as("back-end: RING_PACKED (bit 34) acknowledged").isEqualTo(packed);
            Set<Integer> expected = IntStream.range(0, queues).boxed().collect(Collectors.toSet());
            assertThat(events.queuesStartedSince(0)).as("queues the back-end started").isEqualTo(expected);

            long t1 = System.nanoTime();
            BlkPatternCheck.Result result = BlkPatternCheck.run(agent, "vda", DISK, store, WRITES, 1000L * queues + (packed ? 7 : 0));
            assertThat(result.passed()).as(result.summary() + "\n" + result.writes()).isTrue();
            DiskModel model = new DiskModel(DISK);
            model.apply(result);
            model.assertFileMatches(file, ring + "/" + queues);
            String io = LiveSupport.seconds(t1);

            agent.poweroff();
            assertThat(qemu.awaitExit(Duration.ofSeconds(30))).as("QEMU exit status after POWEROFF").isZero();
            assertThat(events.count(e -> e.startsWith("messageRejected"))).as("rejected vhost-user messages").isZero();
            System.out.printf("[live-blk] %s ring, %d queue(s): boot %.1f s, %s; I/O %s; total %s; features 0x%x%n",
                    ring, queues, (booted - t0) / 1e9, result.summary(), io, LiveSupport.seconds(t0),
                    events.acknowledgedFeatures());
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(e.getMessage() + "\n" + qemu.evidence() + "\n" + events.dump(), e);
        }
    }
}
