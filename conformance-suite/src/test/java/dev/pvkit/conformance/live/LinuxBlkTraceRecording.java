package dev.pvkit.conformance.live;

import dev.pvkit.backends.blk.BlkOptions;
import dev.pvkit.backends.blk.FileBlockStore;
import dev.pvkit.backends.blk.VirtioBlkDevice;
import dev.pvkit.conformance.guest.Accelerator;
import dev.pvkit.conformance.guest.AgentReply;
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
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records the trace checked in as {@code traces/linux-blk.trace} (not a test: runs only when asked):
 * <pre>
 * mvn -B -o test -pl sdk,reference-backends,conformance-suite -Dtest=LinuxBlkTraceRecording \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dpvkit.recordTrace=/tmp/linux-blk.trace
 * </pre>
 * The default guest (Debian's Linux 6.1) on a PVKit virtio-blk disk with two queues, two vCPUs, TCG: SeaBIOS
 * probes the disk, Linux binds virtio_blk; the agent writes and reads data, flushes, discards, rebinds the driver,
 * reboots the guest (SeaBIOS and Linux again) and powers it off. The file holds QEMU's virtio-pci trace lines
 * exactly as QEMU wrote them, nothing else.
 */
@EnabledIfSystemProperty(named = "pvkit.recordTrace", matches = ".+")
class LinuxBlkTraceRecording {
    private static final int DISK = 32 << 20;
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
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void record() throws Exception {
        Path out = Path.of(System.getProperty("pvkit.recordTrace"));
        var image = LiveSupport.image();
        store = FileBlockStore.create(tmp.resolve("disk.img"), DISK);
        backend = VhostUserBackend.serve(new VirtioBlkDevice(store, BlkOptions.defaults(DISK).withQueues(QUEUES)
                        .withSerial("pvkit-trace")), tmp.resolve("blk.sock"),
                VhostUserBackend.Options.defaults().withWorkers(QUEUES));
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        qemu = QemuLauncher.launch(QemuOptions.of(image).accelerator(Accelerator.TCG).cpus(QUEUES)
                .template(LiveSupport.rebootingTemplate()).transportTrace(lines::add)
                .timeLimit(Duration.ofMinutes(7)).runDirectory(tmp.resolve("run"))
                .device(VhostUserDevice.blk(tmp.resolve("blk.sock"), QUEUES)));
        GuestAgent agent = qemu.agent();
        agent.awaitReady(Duration.ofSeconds(120));
        BlockInfo info = agent.awaitDevice("vda", Duration.ofSeconds(60));
        step("booted", lines);

        BlkPatternCheck.Result r = BlkPatternCheck.run(agent, "vda", DISK, store, 4, 1);
        assertThat(r.passed()).as(r.summary()).isTrue();
        agent.write("vda", 1 << 20, 64 << 10, 7);
        String sha = agent.read("vda", 1 << 20, 64 << 10);
        agent.flush("vda");
        AgentReply discard = agent.discard("vda", 4 << 20, 1 << 20);
        step("data written, read, flushed; discard " + (discard.ok() ? "OK" : "ERR " + discard.text()), lines);

        agent.rebind("virtio_blk", info.device());
        agent.awaitDevice("vda", Duration.ofSeconds(60));
        assertThat(agent.read("vda", 1 << 20, 64 << 10)).isEqualTo(sha);
        step("rebound", lines);

        agent.reboot(Duration.ofSeconds(180));
        agent.awaitDevice("vda", Duration.ofSeconds(60));
        assertThat(agent.read("vda", 1 << 20, 64 << 10)).isEqualTo(sha);
        step("rebooted", lines);

        agent.poweroff();
        assertThat(qemu.awaitExit(Duration.ofSeconds(60))).isZero();
        assertThat(qemu.transportTraceDropped()).isZero();
        step("powered off", lines);
        Files.write(out, lines);
        System.out.println("[trace] " + lines.size() + " lines written to " + out + "; " + qemu.command());
    }

    private static void step(String what, List<String> lines) {
        System.out.println("[trace] " + what + ": " + lines.size() + " virtio-pci lines so far");
    }
}
