package dev.pvkit.conformance.certify;

import dev.pvkit.conformance.explore.BehaviourDevice;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.BlkOp;
import dev.pvkit.conformance.explore.Explorer;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.AgentException;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.PatternGenerator;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.GuestEvent;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Tries generated device behaviour on a live guest: the device serves as the case says while the agent runs its
 * workload on a region of the disk no try used before (so the disk model starts from zeroes), and the try is judged
 * by what the application saw (every command answered, reads return what was written), the kernel's log (no virtio
 * or block-layer trouble) and, after a capacity change, the size the guest reports. The checks judge the whole run
 * afterwards, as for the standard workload.
 */
final class LiveBlkTries implements TryRunner<BlkCase> {
    static final String DISK = "vda";
    /** Where the regions start: past everything the standard workload writes (up to 9 MiB). */
    static final long FIRST_REGION = 16L << 20;
    /** How long one agent command may take before the try counts as hung. */
    static final Duration COMMAND_LIMIT = Duration.ofSeconds(20);
    /** How long the guest has to show a capacity change once the device announced it. */
    static final Duration CAPACITY_WAIT = Duration.ofSeconds(5);
    /** Kernel lines that mean trouble with the disk or its driver. */
    private static final Pattern TROUBLE = Pattern.compile(
            "(?i)(virtio|vd[a-z]|blk).*(error|fail|warn|bug|timed? ?out|hung|reset)|I/O error|blocked for more than|BUG:|WARNING:");

    private final GuestAgent agent;
    private final BehaviourDevice device;
    private final BlkBehaviour plain;
    private final long regionBytes;
    private final long regions;
    private final EventLog log;
    private final AtomicLong announcedCapacity;
    private final java.util.concurrent.atomic.AtomicInteger used;
    private long seed = 1;

    /**
     * @param regionBytes   bytes each try may use (the case space's disk)
     * @param diskBytes     the capacity the tries may use regions of
     * @param announced     the capacity the device last announced (bytes; set by its listener), or -1
     * @param used          regions used so far, by every boot of the run (the disk outlives a boot)
     */
    LiveBlkTries(GuestAgent agent, BehaviourDevice device, long regionBytes, long diskBytes, EventLog log, AtomicLong announced,
                 java.util.concurrent.atomic.AtomicInteger used) {
        this.agent = agent;
        this.device = device;
        this.plain = device.behaviour();
        this.regionBytes = regionBytes;
        this.regions = Math.max(0, (diskBytes - FIRST_REGION) / regionBytes);
        this.log = log;
        this.announcedCapacity = announced;
        this.used = used;
    }

    /** How many more tries (shrinking included) the disk has fresh regions for. */
    long capacityForTries() {
        return regions - used.get();
    }

    @Override
    public TryOutcome run(BlkCase c) throws InterruptedException {
        if (used.get() >= regions) throw new Explorer.Abort("the disk has no fresh region left for another try (" + regions + " used)");
        long base = FIRST_REGION + regionBytes * used.getAndIncrement();
        byte[] model = new byte[(int) regionBytes];
        boolean[] unknown = new boolean[(int) (regionBytes / BlkOp.BLOCK_BYTES)];
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.WORKLOAD_STEP, "explore: try on region " + base + ": " + c));
        long capacityBefore = announcedCapacity.get();
        agent.timeout(COMMAND_LIMIT);
        try {
            agent.dmesg(); // what came before this try is not its business
            device.behave(c.behaviour().withOffer(plain)); // the offer the guest sees is QEMU's to fix, not the case's
            for (int round = 0; round < c.workload().rounds(); round++) {
                for (BlkOp op : c.workload().ops()) {
                    TryOutcome o = apply(op, base, model, unknown, round);
                    if (o != null) return o;
                }
            }
            device.behave(plain);
            agent.flush(DISK); // nothing of this try is left to be written back during the next
            TryOutcome capacity = capacity(capacityBefore);
            if (capacity != null) return capacity;
            List<String> trouble = agent.dmesg().stream().filter(l -> TROUBLE.matcher(l).find()).toList();
            if (!trouble.isEmpty()) return TryOutcome.failed("kernel-log", trouble.get(0).strip());
            return TryOutcome.passed();
        } catch (AgentException e) {
            device.behave(plain);
            if (!answers()) throw new Explorer.Abort("the guest stopped answering during a try: " + oneLine(e));
            return TryOutcome.failed("agent", oneLine(e));
        } finally {
            device.behave(plain);
            agent.timeout(GuestAgent.DEFAULT_TIMEOUT);
        }
    }

    /** One request of the workload through the agent; the failed outcome, or null. */
    private TryOutcome apply(BlkOp op, long base, byte[] model, boolean[] unknown, int round) {
        int at = op.block() * BlkOp.BLOCK_BYTES;
        int len = op.blocks() * BlkOp.BLOCK_BYTES;
        switch (op.kind()) {
            case WRITE -> {
                long s = seed++;
                agent.write(DISK, base + at, len, s);
                PatternGenerator.fill(s, model, at, len);
                Arrays.fill(unknown, op.block(), op.block() + op.blocks(), false);
            }
            case DISCARD -> {
                // The device may keep the old data or zero it: the blocks are unknown until written again.
                agent.discard(DISK, base + at, len);
                Arrays.fill(unknown, op.block(), op.block() + op.blocks(), true);
            }
            case WRITE_ZEROES -> throw new IllegalArgumentException("the agent has no write-zeroes command");
            case READ -> {
                boolean anyUnknown = false;
                for (int k = op.block(); k < op.block() + op.blocks(); k++) anyUnknown |= unknown[k];
                if (anyUnknown) {
                    agent.read(DISK, base + at, len); // still read (the driver is put to work); its bytes are the device's choice
                    return null;
                }
                String got = agent.read(DISK, base + at, len);
                String expected = PatternGenerator.sha256Hex(Arrays.copyOfRange(model, at, at + len));
                if (!got.equals(expected)) return TryOutcome.failed("data", op + " (round " + round + ") read other bytes than were written");
            }
            case FLUSH -> agent.flush(DISK);
        }
        return null;
    }

    /** After a capacity change announced during the try, the guest must show the new size. */
    private TryOutcome capacity(long before) throws InterruptedException {
        long now = announcedCapacity.get();
        if (now == before || now < 0) return null;
        long deadline = System.nanoTime() + CAPACITY_WAIT.toNanos();
        long seen;
        while ((seen = agent.info(DISK).sizeBytes()) != now && System.nanoTime() < deadline) Thread.sleep(100);
        if (seen == now) return null;
        return TryOutcome.failed("capacity", "the device grew to " + now + " bytes and announced it; the guest still shows " + seen
                + " bytes after " + CAPACITY_WAIT.toSeconds() + " s [DRV-BLK-012]");
    }

    private boolean answers() {
        try {
            agent.timeout(Duration.ofSeconds(5)).ping();
            return true;
        } catch (AgentException e) {
            return false;
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
