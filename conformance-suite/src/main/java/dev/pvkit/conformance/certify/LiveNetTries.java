package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.Explorer;
import dev.pvkit.conformance.explore.NetBehaviour;
import dev.pvkit.conformance.explore.NetBehaviourDevice;
import dev.pvkit.conformance.explore.NetCase;
import dev.pvkit.conformance.explore.NetWorkload;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.AgentException;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.VhostUserDevice;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Tries generated virtio-net device behaviour on a live guest whose interface is up: the device serves its transmit
 * queues as the case says ({@link NetBehaviourDevice}); QEMU's monitor takes the link down and up or asks for an
 * announcement when the case says so; then the agent pings the responder as the workload says. A try fails when an
 * echo request goes unanswered (the device loses nothing, so the driver did), the driver does not follow the link,
 * the agent stops answering, the kernel logs trouble with the interface, or a counted requirement breaks within the
 * try ({@link TryChecks}).
 */
final class LiveNetTries implements TryRunner<NetCase> {
    /** How long one agent command may take before the try counts as hung. */
    static final Duration COMMAND_LIMIT = Duration.ofSeconds(30);
    /** How long the driver has to show a link change as its carrier. */
    static final Duration CARRIER_WAIT = Duration.ofSeconds(15);
    /** Kernel lines that mean trouble with the interface or its driver. */
    private static final Pattern TROUBLE = Pattern.compile(
            "(?i)(virtio|eth0|net).*(error|fail|bug|timed? ?out|hung)|NETDEV WATCHDOG|BUG:|WARNING:");

    private final GuestAgent agent;
    private final QemuInstance vm;
    private final NetBehaviourDevice device;
    private final String responder;
    private final int cpus;
    private final EventLog log;
    private final TryChecks checks;

    LiveNetTries(GuestAgent agent, QemuInstance vm, NetBehaviourDevice device, String responder, int cpus, EventLog log, TryChecks checks) {
        this.agent = agent;
        this.vm = vm;
        this.device = device;
        this.responder = responder;
        this.cpus = cpus;
        this.log = log;
        this.checks = checks;
    }

    @Override
    public TryOutcome run(NetCase c) throws InterruptedException {
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.WORKLOAD_STEP, "explore: try: " + c));
        long from = EventLog.nowMicros();
        agent.timeout(COMMAND_LIMIT);
        boolean linkDown = false;
        try {
            agent.dmesg(); // what came before this try is not its business
            device.behave(c.behaviour());
            NetBehaviour b = c.behaviour();
            if (b.linkFlap()) {
                vm.monitor().setLink(VhostUserDevice.netdevId(0), false);
                linkDown = true;
                if (!carrierBecomes(0)) return TryOutcome.failed("link", "the driver still showed carrier " + CARRIER_WAIT.toSeconds() + " s after the link went down");
                vm.monitor().setLink(VhostUserDevice.netdevId(0), true);
                linkDown = false;
                if (!carrierBecomes(1)) return TryOutcome.failed("link", "the driver showed no carrier " + CARRIER_WAIT.toSeconds() + " s after the link came back");
            }
            if (b.announce()) {
                long asked = EventLog.nowMicros();
                vm.monitor().announceSelf();
                log.add(new VhostUserEvent.NetAnnounceRequested(asked, false)); // only once QEMU took it
            }
            for (NetWorkload.Ping p : c.workload().pings()) {
                int cpu = Math.min(p.cpu(), cpus - 1);
                int answered = cpus > 1 ? agent.netPing(responder, p.count(), p.size(), cpu) : agent.netPing(responder, p.count(), p.size());
                if (answered < p.count()) {
                    return TryOutcome.failed("lost", answered + " of " + p.count() + " pings of " + p.size() + " bytes from CPU " + cpu
                            + " answered; the device and the responder lose nothing");
                }
            }
            device.behave(NetBehaviour.plain());
            List<String> trouble = agent.dmesg().stream().filter(l -> TROUBLE.matcher(l).find()).toList();
            if (!trouble.isEmpty()) return TryOutcome.failed("kernel-log", trouble.get(0).strip());
            TryOutcome broke = checks == null ? null : checks.judgeSince(log.ordered(), from);
            return broke != null ? broke : TryOutcome.passed();
        } catch (AgentException e) {
            device.behave(NetBehaviour.plain());
            if (!LiveBlkTries.answers(agent)) throw new Explorer.Abort("the guest stopped answering during a try: " + LiveBlkTries.oneLine(e));
            return TryOutcome.failed("agent", LiveBlkTries.oneLine(e));
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            // QEMU's monitor refused or failed: nothing the driver did, and no later try can cause a link event either.
            throw new Explorer.Abort("QEMU's monitor failed during a try: " + LiveBlkTries.oneLine(e));
        } finally {
            device.behave(NetBehaviour.plain());
            agent.timeout(GuestAgent.DEFAULT_TIMEOUT);
            if (linkDown) restoreLink();
        }
    }

    /**
     * Brings the link back after a try that ended with it down, and waits (as long as a try would) for the driver to
     * show it, so the next try does not start on a link still coming up. Best effort: whatever fails here, the next
     * try meets it.
     */
    private void restoreLink() throws InterruptedException {
        try {
            vm.monitor().setLink(VhostUserDevice.netdevId(0), true);
            carrierBecomes(1);
        } catch (RuntimeException e) {
            // reported by the next try, which fails or aborts on it
        }
    }

    private boolean carrierBecomes(int carrier) throws InterruptedException {
        long deadline = System.nanoTime() + CARRIER_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (agent.netInfo("eth0").carrier() == carrier) return true;
            Thread.sleep(100);
        }
        return false;
    }
}
