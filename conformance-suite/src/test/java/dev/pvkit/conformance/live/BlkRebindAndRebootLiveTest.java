package dev.pvkit.conformance.live;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.AgentProtocol;
import dev.pvkit.conformance.guest.BlockInfo;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.workload.BlkPatternCheck;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The back-end survives the guest resetting its device: a data check, then the guest unbinds and rebinds
 * virtio_blk (the driver resets and re-initializes the device), then a warm reboot of the guest (the machine
 * resets; QEMU runs without {@code -no-reboot}). After each, the disk works and every earlier write reads back,
 * and the backing file equals the model. The back-end must see its rings stopped and started again on the same
 * vhost-user connection.
 */
class BlkRebindAndRebootLiveTest {
    private static final int DISK = 32 << 20;
    private static final int WRITES = 10;
    private static final int QUEUES = 2;

    @TempDir
    Path tmp;
    private QemuInstance qemu;
    private VhostUserBackend backend;
    private FileBlockStore store;

    @AfterEach
    void cleanUp() throws Exception {
        LiveSupport.killAndCheckGone(qemu, tmp, backend, store);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void diskKeepsWorkingAcrossRebindAndWarmReboot() throws Exception {
        long t0 = System.nanoTime();
        var image = LiveSupport.image();
        Path file = tmp.resolve("disk.img");
        store = FileBlockStore.create(file, DISK);
        RecordingObserver events = new RecordingObserver();
        backend = VhostUserBackend.serve(new VirtioBlkDevice(store, BlkOptions.defaults(DISK).withQueues(QUEUES)
                        .withSerial("pvkit-reboot")), tmp.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withWorkers(QUEUES).withObserver(events));
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).cpus(QUEUES)
                .template(LiveSupport.rebootingTemplate())
                .timeLimit(Duration.ofMinutes(3)).runDirectory(tmp.resolve("run"))
                .device(VhostUserDevice.blk(tmp.resolve("blk.sock"), QUEUES)));
        assertThat(qemu.command()).doesNotContain("-no-reboot");
        DiskModel model = new DiskModel(DISK);
        String phase = "boot";
        try {
            GuestAgent agent = qemu.agent();
            AgentProtocol.Banner first = agent.awaitReady(Duration.ofSeconds(90));
            BlockInfo info = agent.awaitDevice("vda", Duration.ofSeconds(60));
            assertThat(info.queues()).isEqualTo(QUEUES);
            assertThat(events.queuesStartedSince(0)).isEqualTo(Set.of(0, 1));

            phase = "first data check";
            check(agent, store, model, file, 1, phase);
            String tFirst = LiveSupport.seconds(t0);

            phase = "REBIND";
            int mark = events.size();
            agent.rebind("virtio_blk", info.device());
            BlockInfo again = agent.awaitDevice("vda", Duration.ofSeconds(60));
            assertThat(again.queues()).isEqualTo(QUEUES);
            assertRingsRestartedAndDataKept(events, mark, "REBIND", agent, model);
            phase = "data check after REBIND";
            check(agent, store, model, file, 2, phase);
            String tRebind = LiveSupport.seconds(t0);

            phase = "REBOOT";
            mark = events.size();
            long tr = System.nanoTime();
            AgentProtocol.Banner second = agent.reboot(Duration.ofSeconds(120));
            assertThat(second.kernel()).isEqualTo(first.kernel());
            assertThat(qemu.isAlive()).as("QEMU still runs after the guest's reboot").isTrue();
            BlockInfo afterReboot = agent.awaitDevice("vda", Duration.ofSeconds(60));
            String rebootTook = LiveSupport.seconds(tr);
            assertThat(afterReboot.sizeBytes()).isEqualTo(DISK);
            assertThat(afterReboot.queues()).isEqualTo(QUEUES);
            assertThat(afterReboot.serial()).isEqualTo("pvkit-reboot");
            assertRingsRestartedAndDataKept(events, mark, "REBOOT", agent, model);
            phase = "data check after REBOOT";
            check(agent, store, model, file, 3, phase);

            phase = "POWEROFF";
            agent.poweroff();
            assertThat(qemu.awaitExit(Duration.ofSeconds(30))).as("QEMU exit status after POWEROFF").isZero();
            assertThat(backend.sessions()).as("one vhost-user connection served the whole run").isEqualTo(1);
            assertThat(events.count(e -> e.startsWith("messageRejected"))).as("rejected vhost-user messages").isZero();
            model.assertFileMatches(file, "end");
            System.out.printf("[live-blk] rebind+reboot: %d writes checked; first check at %s, after REBIND at %s, "
                    + "reboot to device %s, total %s%n", model.writes().size(), tFirst, tRebind, rebootTook,
                    LiveSupport.seconds(t0));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("[" + phase + "] " + e.getMessage() + "\n" + qemu.evidence() + "\n"
                    + events.dump(), e);
        }
    }

    /**
     * Since event number {@code mark} ({@code reset} began there) the back-end saw its rings stopped or the device
     * reset, and every queue started again; the guest still reads every earlier write.
     */
    private static void assertRingsRestartedAndDataKept(RecordingObserver events, int mark, String reset,
                                                        GuestAgent agent, DiskModel model) {
        List<String> since = events.since(mark);
        System.out.println("[live-blk] back-end events during " + reset + ": " + since);
        assertThat(since).as("the back-end saw its rings stopped (or the device reset) on " + reset)
                .anyMatch(e -> e.startsWith("queueStopped") || e.startsWith("deviceReset"));
        assertThat(events.queuesStartedSince(mark)).as("queues started again after " + reset).isEqualTo(Set.of(0, 1));
        model.assertGuestReads(agent, "vda", "after " + reset + ", earlier data");
    }

    private static void check(GuestAgent agent, FileBlockStore store, DiskModel model, Path file, long seed,
                              String phase) throws Exception {
        BlkPatternCheck.Result r = BlkPatternCheck.run(agent, "vda", DISK, store, WRITES, seed);
        assertThat(r.passed()).as(phase + ": " + r.summary() + "\n" + r.writes()).isTrue();
        model.apply(r);
        model.assertFileMatches(file, phase);
        assertThat(Files.size(file)).isEqualTo(DISK);
        System.out.println("[live-blk] " + phase + ": " + r.summary());
    }
}
