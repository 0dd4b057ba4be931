package dev.pvkit.conformance.explore;

import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.conformance.check.CertificationScope;
import dev.pvkit.conformance.check.CheckEngine;
import dev.pvkit.conformance.check.Checks;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.BlkRecorder;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.SessionSplitter;
import dev.pvkit.conformance.verdict.Outcome;
import dev.pvkit.conformance.verdict.RequirementVerdict;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.spec.PvSpec;
import dev.pvkit.spec.Requirement;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs a case against a {@link ModelBlkDriver} (correct, or with one {@link DriverFlaw}) on PVKit's real back-end
 * behaving as the case says, over a real vhost-user socket, and judges the try with every oracle: the checks (no
 * requirement broken, from what the back-end observed), the disk model (what reads return, what each request's
 * status should be), liveness (nothing outstanding past {@link #HANG}) and the driver's reaction (errors reach the
 * application, a read-only disk is not written, a capacity change is picked up).
 */
final class JavaDriverTries implements TryRunner<BlkCase> {
    /** Far longer than any hold time a case can choose (2 ms): a request outstanding this long was lost. */
    static final Duration HANG = Duration.ofMillis(400);
    private static final PvSpec SPEC = PvSpec.load();
    private static final List<Requirement> SCOPE = CertificationScope.requirements(SPEC, CertificationScope.blkAreas());

    private final DriverFlaw flaw;
    private final BlkCaseSpace space;

    JavaDriverTries(DriverFlaw flaw, BlkCaseSpace space) {
        this.flaw = flaw;
        this.space = space;
    }

    @Override
    public TryOutcome run(BlkCase c) {
        Path dir;
        try {
            dir = Files.createTempDirectory("pvkit-explore");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EventLog log = new EventLog();
        long initial = (long) space.diskBlocks() * BlkOp.BLOCK_BYTES;
        AtomicLong grownTo = new AtomicLong(-1);
        BehaviourDevice device = new BehaviourDevice(new MemoryBlockStore(2 * initial), initial, c.behaviour(), initial, (bytes, announced) -> {
            if (announced) grownTo.set(bytes);
        });
        device.disk().requestListener(new BlkRecorder(log));
        Path socket = dir.resolve("blk.sock");
        TryOutcome outcome;
        // No polling: a device that sleeps until kicked shows every kick a driver leaves out.
        try (VhostUserBackend backend = VhostUserBackend.serve(device, socket,
                VhostUserBackend.Options.defaults().withObserver(new BackendRecorder(log)).withPollMax(Duration.ZERO))) {
            outcome = drive(c, socket, initial, grownTo);
        } finally {
            try {
                Files.deleteIfExists(socket);
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory left behind
            }
        }
        TryOutcome checked = checks(log);
        return checked != null ? checked : outcome;
    }

    /** The first requirement the checks found broken, or null. */
    private static TryOutcome checks(EventLog log) {
        List<RequirementVerdict> verdicts = new CheckEngine(SPEC, Checks.all()).evaluate(SCOPE, SessionSplitter.split(log.ordered()), -1);
        for (RequirementVerdict v : verdicts) {
            if (v.outcome() == Outcome.FAIL) {
                return TryOutcome.failed(v.requirement().id(), v.evidence().isEmpty() ? "" : v.evidence().get(0).summary());
            }
        }
        return null;
    }

    private TryOutcome drive(BlkCase c, Path socket, long initialBytes, AtomicLong grownTo) {
        BlkBehaviour b = c.behaviour();
        byte[] disk = new byte[(int) (2 * initialBytes)];
        boolean[] unknown = new boolean[disk.length / BlkOp.BLOCK_BYTES]; // discarded since last written: either content is right
        int ordinal = 0;
        try (ModelBlkDriver driver = new ModelBlkDriver(socket, flaw, b.queueSize(), HANG)) {
            BlkWorkload w = c.workload();
            for (int round = 0; round < w.rounds(); round++) {
                for (List<BlkOp> window : windows(w)) {
                    List<byte[]> data = new ArrayList<>();
                    for (int i = 0; i < window.size(); i++) data.add(window.get(i).kind() == BlkOp.Kind.WRITE ? pattern(window.get(i), round, i) : null);
                    List<ModelBlkDriver.Io> ios = driver.run(window, data);
                    for (int i = 0; i < window.size(); i++) {
                        BlkOp op = window.get(i);
                        ModelBlkDriver.Io io = ios.get(i);
                        ModelBlkDriver.AppStatus expected;
                        if (ModelBlkDriver.changesData(op) && driver.readOnly()) {
                            expected = ModelBlkDriver.AppStatus.EROFS;
                        } else {
                            InjectedStatus injected = b.failureOf(ordinal++);
                            expected = injected == null ? ModelBlkDriver.AppStatus.OK
                                    : injected == InjectedStatus.IOERR ? ModelBlkDriver.AppStatus.EIO : ModelBlkDriver.AppStatus.ENOTSUP;
                        }
                        if (io.status() != expected) {
                            return TryOutcome.failed("status", op + " (round " + round + ") came back " + io.status() + " to the application, "
                                    + "expected " + expected);
                        }
                        if (expected != ModelBlkDriver.AppStatus.OK) continue;
                        int at = op.block() * BlkOp.BLOCK_BYTES;
                        int len = op.blocks() * BlkOp.BLOCK_BYTES;
                        int b0 = op.block();
                        switch (op.kind()) {
                            case WRITE -> {
                                System.arraycopy(data.get(i), 0, disk, at, len);
                                Arrays.fill(unknown, b0, b0 + op.blocks(), false);
                            }
                            case WRITE_ZEROES -> {
                                Arrays.fill(disk, at, at + len, (byte) 0);
                                Arrays.fill(unknown, b0, b0 + op.blocks(), false);
                            }
                            case DISCARD -> Arrays.fill(unknown, b0, b0 + op.blocks(), true);
                            case READ -> {
                                for (int k = 0; k < op.blocks(); k++) {
                                    int from = k * BlkOp.BLOCK_BYTES;
                                    if (unknown[b0 + k]) continue;
                                    if (!Arrays.equals(io.data(), from, from + BlkOp.BLOCK_BYTES, disk, at + from, at + from + BlkOp.BLOCK_BYTES)) {
                                        return TryOutcome.failed("data", op + " (round " + round + ") read other bytes than the disk holds");
                                    }
                                }
                            }
                            case FLUSH -> {
                            }
                        }
                    }
                }
            }
            long grown = grownTo.get();
            if (grown > 0) {
                long deadline = System.nanoTime() + HANG.toNanos();
                while (driver.capacitySectors() != grown / 512 && System.nanoTime() < deadline) Thread.onSpinWait();
                if (driver.capacitySectors() != grown / 512) {
                    return TryOutcome.failed("capacity", "the device grew to " + grown / 512 + " sectors and said so; the driver still uses "
                            + driver.capacitySectors());
                }
            }
            return TryOutcome.passed();
        } catch (ModelBlkDriver.Hang e) {
            return TryOutcome.failed("hang", e.getMessage());
        } catch (ModelBlkDriver.DriverError e) {
            return TryOutcome.failed("driver-error", e.getMessage());
        }
    }

    /** The workload's ops cut into what is in flight together: at most its depth, never two that overlap. */
    static List<List<BlkOp>> windows(BlkWorkload w) {
        List<List<BlkOp>> out = new ArrayList<>();
        List<BlkOp> current = new ArrayList<>();
        for (BlkOp op : w.ops()) {
            boolean clash = current.size() >= w.depth() || current.stream().anyMatch(op::overlaps);
            if (clash) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(op);
        }
        out.add(current);
        return out;
    }

    /** Data no earlier write left and no poison matches: each block says which write, round and block it is. */
    private static byte[] pattern(BlkOp op, int round, int index) {
        byte[] b = new byte[op.blocks() * BlkOp.BLOCK_BYTES];
        for (int k = 0; k < op.blocks(); k++) {
            byte fill = (byte) (0x11 + (round * 7 + index * 3 + k) % 0xC0); // never 0x00 or 0xEE
            Arrays.fill(b, k * BlkOp.BLOCK_BYTES, (k + 1) * BlkOp.BLOCK_BYTES, fill);
            b[k * BlkOp.BLOCK_BYTES] = (byte) round;
            b[k * BlkOp.BLOCK_BYTES + 1] = (byte) (round >>> 8);
        }
        return b;
    }
}
