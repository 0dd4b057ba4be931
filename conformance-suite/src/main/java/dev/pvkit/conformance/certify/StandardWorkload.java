package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.guest.AgentReply;
import dev.pvkit.conformance.guest.BlockInfo;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;

import java.time.Duration;

/**
 * The agent's standard virtio-blk workload: what a certification makes the OS driver do so that its rules are put
 * to the test. Writes (several sizes, so requests span descriptors), a flush, reads back, a discard when the driver
 * exposes one, a driver rebind (reset and re-initialization), a reboot (firmware, then the OS again). The caller
 * powers the guest off (after the exploration phase, when there is one).
 */
final class StandardWorkload {
    private static final String DISK = "vda";
    private static final long SEED = 20261204L;

    private final GuestAgent agent;
    private final EventLog log;
    private final Progress progress;

    StandardWorkload(GuestAgent agent, EventLog log, Progress progress) {
        this.agent = agent;
        this.log = log;
        this.progress = progress;
    }

    void run(Duration deviceWait, Duration rebootWait) throws InterruptedException {
        BlockInfo info = agent.awaitDevice(DISK, deviceWait);
        step("write 4 KiB, 64 KiB and 1 MiB at three offsets");
        agent.write(DISK, 0, 4096, SEED);
        agent.write(DISK, 1 << 20, 64 << 10, SEED + 1);
        agent.write(DISK, 4 << 20, 1 << 20, SEED + 2);
        step("flush");
        agent.flush(DISK);
        step("read back");
        agent.read(DISK, 0, 4096);
        agent.read(DISK, 1 << 20, 64 << 10);
        agent.read(DISK, 4 << 20, 1 << 20);
        step("discard 1 MiB");
        AgentReply d = agent.discard(DISK, 8 << 20, 1 << 20);
        if (!d.ok()) progress.step("  (the driver exposes no discard: " + d.text() + ")");
        step("rebind the driver (reset and re-initialization)");
        agent.rebind("virtio_blk", info.device());
        agent.awaitDevice(DISK, deviceWait);
        agent.read(DISK, 0, 4096);
        step("reboot (firmware, then the OS driver again)");
        agent.reboot(rebootWait);
        agent.awaitDevice(DISK, deviceWait);
        agent.read(DISK, 1 << 20, 64 << 10);
    }

    private void step(String what) {
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.WORKLOAD_STEP, what));
        progress.step("workload: " + what);
    }
}
