package dev.pvkit.conformance.explore;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * jqwik generators for virtio-blk cases within a {@link BlkCaseSpace}. Every choice shrinks towards what a plain
 * device does (split rings of 256, EVENT_IDX and INDIRECT_DESC offered, writable, in-order completions one at a
 * time and together, no failures, no capacity change, no spurious notifications) and towards a short workload, so a shrunk case
 * shows only the device behaviour that matters.
 */
public final class BlkCases {
    private BlkCases() {
    }

    private record Offer(boolean packed, int queueSize, boolean eventIdx, boolean indirect, boolean readOnly, int segMax) {
    }

    private record Serving(Completions completions, int batch, int delayMicros, boolean oneAtATime, Map<Integer, InjectedStatus> failures,
                           Integer capacityChange, boolean spurious, long seed) {
    }

    public static Arbitrary<BlkCase> cases(BlkCaseSpace space) {
        Arbitrary<Offer> offer = Combinators.combine(
                Arbitraries.of(space.formats()).map(f -> f.equals("packed")),
                Arbitraries.of(space.queueSizes()),
                Arbitraries.of(space.eventIdx()),
                Arbitraries.of(space.indirect()),
                Arbitraries.of(space.readOnly()),
                Arbitraries.of(space.segMax())).as(Offer::new);
        Arbitrary<Serving> serving = Combinators.combine(
                Arbitraries.of(Completions.IN_ORDER, Completions.REVERSED, Completions.SHUFFLED),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(0, 2000),
                Arbitraries.of(false, true),
                Arbitraries.maps(Arbitraries.integers().between(0, 63), Arbitraries.of(InjectedStatus.IOERR, InjectedStatus.UNSUPP))
                        .ofMaxSize(space.failures() ? 2 : 0),
                Arbitraries.integers().between(0, 63).injectNull(0.7),
                Arbitraries.of(false, true),
                Arbitraries.longs().between(0, 1 << 20)).as(Serving::new);
        Arbitrary<BlkBehaviour> behaviour = Combinators.combine(offer, serving).as((o, s) -> new BlkBehaviour(o.packed(), o.queueSize(),
                o.eventIdx(), o.indirect(), o.readOnly(), o.segMax(), s.completions(), s.batch(), s.delayMicros(), s.oneAtATime(), s.failures(),
                s.capacityChange() == null ? -1 : s.capacityChange(), s.spurious(), s.seed(), null));
        return Combinators.combine(behaviour, workloads(space)).as(BlkCase::new);
    }

    static Arbitrary<BlkWorkload> workloads(BlkCaseSpace space) {
        int lastStart = space.diskBlocks() - 4;
        Arbitrary<BlkOp> op = Combinators.combine(
                Arbitraries.of(space.opKinds()),
                Arbitraries.integers().between(0, lastStart),
                Arbitraries.integers().between(1, 4)).as(BlkOp::new);
        Arbitrary<List<BlkOp>> ops = op.list().ofMinSize(1).ofMaxSize(12);
        Arbitrary<Integer> depth = Arbitraries.integers().between(1, 8);
        Arbitrary<Boolean> direct = Arbitraries.of(false, true);
        return Combinators.combine(ops, depth, direct).flatAs((list, d, io) -> rounds(space, list.size()).map(r -> new BlkWorkload(list, d, r, io)));
    }

    /** Requests past which a 16-bit ring index has wrapped: where index-handling bugs show. */
    static final int PAST_INDEX_WRAP = 65_536 + 64;

    /**
     * Mostly one to three rounds; when the space allows it, one workload in eight runs past the 16-bit index space,
     * where a driver's index arithmetic is put to the test. Drawn as a small number that maps to rounds, so that a
     * long workload shrinks to a short one when length does not matter (a choice between two generators would keep
     * a shrunk case long).
     */
    private static Arbitrary<Integer> rounds(BlkCaseSpace space, int ops) {
        int most = Math.max(1, space.maxRequests() / ops);
        int wrapRounds = (PAST_INDEX_WRAP + ops - 1) / ops;
        if (wrapRounds > most) return Arbitraries.integers().between(1, Math.min(3, most));
        return Arbitraries.integers().between(0, 23).map(k -> k < 21 ? Math.min(most, 1 + k / 7) : wrapRounds);
    }

    /** A case's generated choices by name: what the statistics count. */
    public static Map<String, String> dimensions(BlkCase c) {
        BlkBehaviour b = c.behaviour();
        BlkWorkload w = c.workload();
        Map<String, String> d = new LinkedHashMap<>();
        d.put("packed ring offered", b.packed() ? "yes" : "no");
        d.put("queue size", String.valueOf(b.queueSize()));
        d.put("event_idx", b.eventIdx() ? "offered" : "not offered");
        d.put("indirect_desc", b.indirect() ? "offered" : "not offered");
        d.put("read-only", b.readOnly() ? "yes" : "no");
        d.put("seg_max", String.valueOf(b.segMax()));
        d.put("completion order", b.completions().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        d.put("completions held", b.batch() == 1 ? "1" : b.batch() <= 4 ? "2-4" : "5-8");
        d.put("given back", b.oneAtATime() ? "one per notification" : "together");
        d.put("hold time", b.delayMicros() == 0 ? "0" : b.delayMicros() <= 100 ? "up to 100 us" : "over 100 us");
        d.put("failures injected", String.valueOf(b.failures().size()));
        d.put("capacity change", b.capacityChange() >= 0 ? "yes" : "no");
        d.put("spurious notifications", b.spurious() ? "yes" : "no");
        BlkGeometry g = b.offeredGeometry();
        d.put("blk_size", String.valueOf(g.blkSize()));
        d.put("discard limit", g.discardLimit());
        d.put("write zeroes limit", g.writeZeroesLimit());
        d.put("topology", g.topology());
        d.putAll(workloadDimensions(w));
        return d;
    }

    /**
     * A case's device-behaviour choices alone: what the statistics of a guest without the agent count, whose
     * workload is its own (the case's workload half goes unused there).
     */
    public static Map<String, String> behaviourDimensions(BlkCase c) {
        Map<String, String> d = dimensions(c);
        workloadDimensions(c.workload()).keySet().forEach(d::remove);
        return d;
    }

    private static Map<String, String> workloadDimensions(BlkWorkload w) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("requests", w.requests() <= 100 ? "up to 100" : w.requests() <= 10_000 ? "up to 10,000" : "over 10,000");
        d.put("depth", String.valueOf(w.depth()));
        d.put("guest I/O", w.direct() ? "O_DIRECT" : "page cache");
        return d;
    }
}
