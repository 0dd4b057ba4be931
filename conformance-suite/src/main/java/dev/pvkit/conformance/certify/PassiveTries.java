package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BehaviourDevice;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.QemuExit;
import dev.pvkit.conformance.guest.QemuInstance;
import dev.pvkit.conformance.guest.QemuLauncher;
import dev.pvkit.conformance.guest.QemuOptions;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;

import java.io.IOException;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Tries on a guest without the agent (oracle 5): each try boots the guest afresh on the device serving the try's
 * behaviour, and the guest's own result through the exit device judges it ({@link GuestResult}), as do the checks
 * over the try's own sessions ({@link TryChecks}, oracle 1). A guest that does not end within the try's limit has hung. The workload half of a case is the guest's own and is not used.
 */
final class PassiveTries implements TryRunner<BlkCase> {
    private final IntFunction<QemuOptions> qemuForTry;
    private final BehaviourDevice device;
    private final EventLog log;
    private final Duration limit;
    private final Function<QemuInstance, ConsoleWatcher> console;
    private final TryChecks checks;
    /** The device's own behaviour: its offer, serving plainly; each try's behaviour takes this offer. */
    private final BlkBehaviour plain;
    private int started;

    /**
     * @param qemuForTry the QEMU options of try {@code n} (its own run directory, its transport capture attached)
     * @param limit      how long a try may run before it counts as a hang
     * @param console    what follows a try's console (it tells the firmware's sessions from the kernel's)
     * @param checks     the checks as an oracle of each try, or null for the guest's own result alone
     */
    PassiveTries(IntFunction<QemuOptions> qemuForTry, BehaviourDevice device, EventLog log, Duration limit,
                 Function<QemuInstance, ConsoleWatcher> console, TryChecks checks) {
        this.qemuForTry = qemuForTry;
        this.console = console;
        this.checks = checks;
        this.device = device;
        this.log = log;
        this.limit = limit;
        this.plain = device.behaviour();
    }

    @Override
    public TryOutcome run(BlkCase c) throws InterruptedException {
        device.behave(c.behaviour().withOffer(plain)); // the offer the guest sees is QEMU's to fix, not the case's
        int n = ++started;
        QemuOptions q = qemuForTry.apply(n);
        long from = EventLog.nowMicros();
        // Every try starts the guest from its firmware, as a restart does.
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.RESTARTING, "QEMU started for generated try " + n + ": " + c));
        QemuExit exit;
        GuestResult result;
        try (QemuInstance vm = QemuLauncher.launch(q);
             ConsoleWatcher watcher = console.apply(vm)) {
            try {
                exit = vm.awaitResult(limit);
                result = GuestResult.of(exit, vm.qemuLog());
            } catch (IllegalStateException e) {
                return TryOutcome.failed("hang", "the guest did not end within " + limit.toSeconds() + " s (QEMU stopped)");
            }
        } catch (IOException e) {
            throw new SetupException("cannot start QEMU for a generated try: " + e.getMessage(), e);
        } finally {
            device.behave(plain);
        }
        if (result == GuestResult.PASSED && checks != null) {
            // The guest's own check passed; the driver may still have broken a rule on the way (the QEMU is gone and
            // its trace drained, so the try's sessions are whole).
            TryOutcome broke = checks.judge(log.ordered().stream().filter(e -> e.micros() >= from).toList());
            if (broke != null) return broke;
        }
        return switch (result) {
            case PASSED -> TryOutcome.passed();
            case FAILED -> TryOutcome.failed("guest-exit", "the guest reported failure code " + exit.guestCode().getAsInt()
                    + " through the exit device");
            case NONE -> TryOutcome.failed("no-result", "the guest ended without a result: " + GuestResult.describe(result, exit));
        };
    }
}
