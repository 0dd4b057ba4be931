package dev.pvkit.conformance.certify;

import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.conformance.explore.BehaviourDevice;
import dev.pvkit.conformance.explore.BlkBehaviour;
import dev.pvkit.conformance.explore.BlkCase;
import dev.pvkit.conformance.explore.BlkOp;
import dev.pvkit.conformance.explore.Explorer;
import dev.pvkit.conformance.explore.TryOutcome;
import dev.pvkit.conformance.explore.TryRunner;
import dev.pvkit.conformance.guest.AgentException;
import dev.pvkit.conformance.guest.AgentProtocol;
import dev.pvkit.conformance.guest.AgentReply;
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
 * by what the application saw (every command answered; an error only where the device injected a failure; reads
 * return what was written), the back-end's disk (after a flush succeeded, the data is there), the kernel's log (no
 * virtio or block-layer trouble beyond the failures injected) and, after a capacity change, the size the guest reports. The checks judge the whole run
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

    /** Kernel lines that report a failed request: expected when the device injects failures. */
    private static final Pattern REPORTED_FAILURE = Pattern.compile("(?i)I/O error|lost async page write|critical (target|medium) error");

    private final GuestAgent agent;
    private final BlockStore store;
    private final BehaviourDevice device;
    private final BlkBehaviour plain;
    private final long regionBytes;
    private final long regions;
    private final EventLog log;
    private final AtomicLong announcedCapacity;
    private final java.util.concurrent.atomic.AtomicInteger used;
    private long seed = 1;
    private final TryChecks checks;

    /**
     * @param store         the back-end's disk, read to see that flushed data is there
     * @param regionBytes   bytes each try may use (the case space's disk)
     * @param diskBytes     the capacity the tries may use regions of
     * @param announced     the capacity the device last announced (bytes; set by its listener), or -1
     * @param used          regions used so far, by every boot of the run (the disk outlives a boot)
     * @param checks        the checks as an oracle of each try (what the driver broke during it), or null
     */
    LiveBlkTries(GuestAgent agent, BehaviourDevice device, BlockStore store, long regionBytes, long diskBytes, EventLog log,
                 AtomicLong announced, java.util.concurrent.atomic.AtomicInteger used, TryChecks checks) {
        this.checks = checks;
        this.agent = agent;
        this.store = store;
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
        RegionModel model = new RegionModel((int) regionBytes);
        boolean failing = !c.behaviour().failures().isEmpty();
        log.add(new GuestEvent(EventLog.nowMicros(), GuestEvent.Milestone.WORKLOAD_STEP, "explore: try on region " + base + ": " + c));
        long capacityBefore = announcedCapacity.get();
        long from = EventLog.nowMicros();
        agent.timeout(COMMAND_LIMIT);
        try {
            agent.dmesg(); // what came before this try is not its business
            device.behave(c.behaviour().withOffer(plain)); // the offer the guest sees is QEMU's to fix, not the case's
            List<BlkOp> ops = c.workload().ops();
            for (int round = 0; round < c.workload().rounds(); round++) {
                for (int i = 0, end; i < ops.size(); i = end) {
                    end = groupEnd(ops, i, c.workload().depth());
                    TryOutcome o = end - i == 1 ? apply(ops.get(i), base, model, failing, c.workload().direct(), round)
                            : applyTogether(ops.subList(i, end), base, model, failing, c.workload().direct(), round);
                    if (o != null) return o;
                }
            }
            device.behave(plain);
            // Nothing of this try is left to be written back during the next; what it flushes must be on the disk.
            TryOutcome last = apply(new BlkOp(BlkOp.Kind.FLUSH, 0, 1), base, model, failing, false, -1);
            if (last != null) return last;
            TryOutcome capacity = capacity(capacityBefore);
            if (capacity != null) return capacity;
            // Failures the device injected are reported by the kernel, rightly: only other trouble counts then.
            List<String> trouble = agent.dmesg().stream().filter(l -> TROUBLE.matcher(l).find())
                    .filter(l -> !failing || !REPORTED_FAILURE.matcher(l).find()).toList();
            if (!trouble.isEmpty()) return TryOutcome.failed("kernel-log", trouble.get(0).strip());
            TryOutcome broke = checks == null ? null : checks.judgeSince(log.ordered(), from);
            return broke != null ? broke : TryOutcome.passed();
        } catch (AgentException e) {
            device.behave(plain);
            if (!answers()) throw new Explorer.Abort("the guest stopped answering during a try: " + oneLine(e));
            return TryOutcome.failed("agent", oneLine(e));
        } finally {
            device.behave(plain);
            agent.timeout(GuestAgent.DEFAULT_TIMEOUT);
        }
    }

    /**
     * One request of the workload through the agent; the failed outcome, or null. When the device injects failures an
     * error the agent reports is the driver doing its job (the failure reached the application): the data it concerns
     * becomes unknown. What the application was told succeeded must then be true: reads return what was written,
     * and a successful flush leaves the data on the back-end's disk.
     */
    private TryOutcome apply(BlkOp op, long base, RegionModel model, boolean failing, boolean direct, int round) {
        int at = op.block() * BlkOp.BLOCK_BYTES;
        int len = op.blocks() * BlkOp.BLOCK_BYTES;
        try {
            switch (op.kind()) {
                case WRITE -> {
                    long s = seed++;
                    agent.write(DISK, base + at, len, s, direct);
                    PatternGenerator.fill(s, model.bytes(), at, len);
                    model.written(op);
                }
                case DISCARD -> {
                    agent.discard(DISK, base + at, len);
                    model.lost(op); // the device may keep the old data or zero it
                }
                case WRITE_ZEROES -> {
                    TryOutcome o = judge(op, agent.zeroes(DISK, base + at, len), 0, model, failing, "round " + round);
                    if (o != null) return o;
                }
                case READ -> {
                    String got = agent.read(DISK, base + at, len, direct);
                    if (!model.known(op, failing)) return null; // read all the same: the driver is put to work
                    String expected = PatternGenerator.sha256Hex(Arrays.copyOfRange(model.bytes(), at, at + len));
                    if (!got.equals(expected)) return TryOutcome.failed("data", op + " (round " + round + ") read other bytes than were written");
                }
                case FLUSH -> {
                    agent.flush(DISK);
                    model.flushed();
                    int k = model.firstDurableMismatch(storeRegion(base));
                    if (k >= 0) {
                        return TryOutcome.failed("durability", "block " + k + " of the try's region (disk offset " + (base + (long) k * BlkOp.BLOCK_BYTES)
                                + ") is not on the back-end's disk as written, although a flush after the write succeeded");
                    }
                }
            }
        } catch (AgentException e) {
            if (!failing || e.reply() == null) throw e;  // no failure injected, or no answer at all: that is the try's end
            if (op.kind() == BlkOp.Kind.FLUSH) model.flushFailed();
            else if (op.kind() != BlkOp.Kind.READ) model.lost(op);
        }
        return null;
    }

    /**
     * Where the group of operations starting at {@code from} ends: up to {@code depth} consecutive operations that the
     * agent runs at once (BATCH), so that up to that many requests are in flight together. A group holds no flush and
     * no two operations on a common block, so the order they finish in does not change what the region holds.
     */
    static int groupEnd(List<BlkOp> ops, int from, int depth) {
        int end = from + 1;
        if (ops.get(from).kind() == BlkOp.Kind.FLUSH) return end;
        while (end < ops.size() && end - from < depth && ops.get(end).kind() != BlkOp.Kind.FLUSH) {
            BlkOp next = ops.get(end);
            for (BlkOp o : ops.subList(from, end)) {
                if (next.block() < o.block() + o.blocks() && o.block() < next.block() + next.blocks()) return end;
            }
            end++;
        }
        return end;
    }

    /** Operations of one group at once, through the agent's BATCH; then each is judged as {@link #apply} judges it. */
    private TryOutcome applyTogether(List<BlkOp> group, long base, RegionModel model, boolean failing, boolean direct, int round) {
        List<String> commands = new java.util.ArrayList<>();
        long[] seeds = new long[group.size()];
        for (int i = 0; i < group.size(); i++) {
            BlkOp op = group.get(i);
            long at = base + (long) op.block() * BlkOp.BLOCK_BYTES;
            long len = (long) op.blocks() * BlkOp.BLOCK_BYTES;
            List<Object> args = new java.util.ArrayList<>(List.of(DISK, at, len));
            if (op.kind() == BlkOp.Kind.WRITE) args.add(seeds[i] = seed++);
            if (direct && (op.kind() == BlkOp.Kind.WRITE || op.kind() == BlkOp.Kind.READ)) args.add("direct");
            String verb = switch (op.kind()) {
                case WRITE, READ, DISCARD -> op.kind().name();
                case WRITE_ZEROES -> "ZEROES";
                case FLUSH -> throw new IllegalStateException("a flush is never batched");
            };
            commands.add(AgentProtocol.command(verb, args.toArray()));
        }
        List<AgentReply> replies = agent.batch(commands);
        for (int i = 0; i < group.size(); i++) {
            TryOutcome o = judge(group.get(i), replies.get(i), seeds[i], model, failing, "round " + round + ", batched");
            if (o != null) return o;
        }
        return null;
    }

    /**
     * An operation's reply (a batched one's, or a lone zeroing's), judged and taken into the model as {@link #apply}
     * does for a lone one. An ERR is the try's failure only with no failure injected; an agent without ZEROES leaves
     * the range unknown. {@code where} places it in the workload for the failure's message.
     */
    private static TryOutcome judge(BlkOp op, AgentReply r, long seed, RegionModel model, boolean failing, String where) {
        int at = op.block() * BlkOp.BLOCK_BYTES;
        int len = op.blocks() * BlkOp.BLOCK_BYTES;
        if (op.kind() == BlkOp.Kind.DISCARD) {
            model.lost(op); // the device may keep the old data or zero it
            return null;
        }
        if (!r.ok()) {
            boolean older = op.kind() == BlkOp.Kind.WRITE_ZEROES && r.text().startsWith("unknown command");
            if (!failing && !older) return TryOutcome.failed("agent", op + " (" + where + ") failed with no failure injected: " + r.text());
            if (op.kind() != BlkOp.Kind.READ) model.lost(op);
            return null;
        }
        switch (op.kind()) {
            case WRITE -> {
                PatternGenerator.fill(seed, model.bytes(), at, len);
                model.written(op);
            }
            case WRITE_ZEROES -> model.zeroed(op);
            case READ -> {
                if (!model.known(op, failing)) return null;
                String expected = PatternGenerator.sha256Hex(Arrays.copyOfRange(model.bytes(), at, at + len));
                if (!expected.equals(r.field("sha256"))) return TryOutcome.failed("data", op + " (" + where + ") read other bytes than were written");
            }
            default -> throw new IllegalStateException(op.kind() + " is not batched");
        }
        return null;
    }

    /** The try's region as the back-end's disk holds it now. */
    private byte[] storeRegion(long base) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) regionBytes);
        try {
            store.read(base, b);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read the back-end's disk: " + e.getMessage(), e);
        }
        return b.array();
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
        return answers(agent);
    }

    /** Whether {@code agent} still answers within 5 s: after a failed command, a hung guest ends the search. */
    static boolean answers(GuestAgent agent) {
        try {
            agent.timeout(Duration.ofSeconds(5)).ping();
            return true;
        } catch (AgentException e) {
            return false;
        }
    }

    /** The first line of {@code e}'s message, for a one-line outcome. */
    static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }
}
