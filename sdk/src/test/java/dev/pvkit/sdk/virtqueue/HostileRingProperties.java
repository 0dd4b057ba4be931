package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property 2 of issue #3: a guest may write anything into its rings. Whatever the bytes, the device queue yields
 * only chains that satisfy every rule (or that the policy tolerated, within the hard bound), reports the rest as
 * typed errors, throws nothing, never attempts an access outside guest memory (the guard fails the try), never
 * writes outside its own used area, and reads a bounded number of descriptors per chain.
 *
 * <p>Before every poll an oracle ({@link SplitOracle}, {@link PackedOracle}) works out from the raw bytes, without
 * the queue's code, what the rules say about the next available chain; the queue must serve exactly the chains it
 * calls valid, with the same buffers, id and tolerated rules, and reject the others with one of the rules it
 * found (split: under every policy; packed: until the first rejection, after which where a skip resumes is the
 * queue's choice). A quarter of the tries run several rounds, the guest rewriting its ring between them.
 * Statistics of the first chain per try check that valid and invalid ones are both common under the strict policy.
 *
 * <p>Tries come from {@code jqwik.tries.default} (10,000 in CI, see junit-platform.properties). For a long local
 * run: {@code mvn -pl sdk -am test -Dtest=HostileRingProperties -Dsurefire.failIfNoSpecifiedTests=false
 * -Djqwik.tries.default=1000000}.
 */
class HostileRingProperties {

    static final long BASE = 0x10000;
    static final long SIZE = 0x40000;
    static final long DESC = BASE;
    static final long AVAIL = BASE + 0x1000;
    static final long USED = BASE + 0x2000;
    static final long TABLES = BASE + 0x3000;   // where valid-looking indirect pointers aim
    static final long DATA = BASE + 0x10000;

    /** Per ring format: tries, chains served, rejections by rule — printed once the class is done. */
    static final class Tally {
        final AtomicLong tries = new AtomicLong();
        final AtomicLong served = new AtomicLong();
        final Map<ChainRule, AtomicLong> rejected = new EnumMap<>(ChainRule.class);

        Tally() {
            for (ChainRule r : ChainRule.values()) rejected.put(r, new AtomicLong());
        }
    }

    static final Tally SPLIT = new Tally();
    static final Tally PACKED = new Tally();
    static final ValidationPolicy STRICT = ValidationPolicy.strict();

    /** Raw descriptor fields, biased so that valid, almost-valid and wild values all occur. */
    record RawDescriptor(long addr, int len, int flags, int next) {
    }

    @Provide
    Arbitrary<RawDescriptor> descriptors() {
        Arbitrary<Long> addr = Arbitraries.oneOf(
                Arbitraries.longs(),
                Arbitraries.longs().between(DATA, BASE + SIZE - 1),
                Arbitraries.longs().between(TABLES, TABLES + 0x200).map(a -> a & ~15L),
                Arbitraries.of(0L, BASE - 1, BASE + SIZE - 16, BASE + SIZE, -16L, Long.MAX_VALUE));
        Arbitrary<Integer> len = Arbitraries.oneOf(
                Arbitraries.integers(),
                Arbitraries.integers().between(0, 64),
                Arbitraries.integers().between(1, 8).map(n -> 16 * n),
                Arbitraries.of(0, 15, 17, -1, 0x7fffffff, (int) SIZE));
        Arbitrary<Integer> flags = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 7));
        Arbitrary<Integer> next = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 0xffff),
                Arbitraries.integers().between(0, 33));
        return Combinators.combine(addr, len, flags, next).as(RawDescriptor::new);
    }

    @Provide
    Arbitrary<List<RawDescriptor>> tables() {
        return descriptors().list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<ValidationPolicy> policies() {
        return Arbitraries.oneOf(
                Arbitraries.just(STRICT),
                Arbitraries.just(ValidationPolicy.skipInvalid()),
                Arbitraries.integers().between(1, 64).map(n -> ValidationPolicy.tolerant().withHardChainLimit(n)),
                Arbitraries.just(ValidationPolicy.tolerant()));
    }

    @Property
    void splitDeviceQueueSurvivesAnyRingContents(
            @ForAll("tables") List<RawDescriptor> table,
            @ForAll("tables") List<RawDescriptor> indirect,
            @ForAll("policies") ValidationPolicy policy,
            @ForAll long seed) {
        Random random = new Random(seed);
        int q = 1 << random.nextInt(6);
        boolean indirectOk = random.nextBoolean();
        long features = (indirectOk ? VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) : 0)
                | (random.nextBoolean() ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0)
                | (random.nextBoolean() ? VirtioFeatures.bit(VirtioFeatures.IN_ORDER) : 0);
        SplitRing ring = new SplitRing(q, DESC, AVAIL, USED);
        long usedEnd = USED + SplitRing.usedBytes(q);
        SPLIT.tries.incrementAndGet();

        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, SIZE)) {
            GuestMemory raw = g.memory();
            for (int i = 0; i < q; i++) put(raw, ring.desc(i), table.isEmpty() ? null : table.get(i % table.size()));
            for (int i = 0; i < Math.max(indirect.size(), 1) && i < 32; i++) {
                put(raw, TABLES + 16L * i, indirect.isEmpty() ? null : indirect.get(i));
            }
            raw.writeLe16(ring.availFlags(), (short) random.nextInt());
            for (int i = 0; i < q; i++) {
                raw.writeLe16(ring.availRing(i), (short) (random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(q + 1)));
            }
            int start = random.nextInt(0x10000);
            int pending = random.nextInt(8) == 0 ? random.nextInt(0x10000) : random.nextInt(q + 1);
            raw.writeLe16(ring.availIdx(), (short) (start + pending));
            raw.writeLe16(ring.usedEvent(), (short) random.nextInt());
            raw.writeLe16(ring.usedIdx(), (short) random.nextInt());
            // Half the tries start from a driver that is nearly right, so that valid chains are common.
            if (random.nextBoolean()) PlausibleRings.split(raw, ring, random, start);

            GuestMemory memory = raw
                    .withGuard((a, l, w) -> {
                        throw new AssertionError(String.format("out-of-range %s 0x%x+%d", w ? "write" : "read", a, l));
                    })
                    .withWriteObserver((a, l) -> {
                        if (a < USED || a + l > usedEnd) {
                            throw new AssertionError(String.format("device wrote 0x%x+%d outside its used ring", a, l));
                        }
                    });
            RejectionCounter seen = new RejectionCounter();
            DeviceQueue dq = new SplitDeviceQueue(memory, QueueConfig.of(0, q, DESC, AVAIL, USED, features)
                    .withPolicy(policy).withBase(start).withObserver(seen));
            SplitOracle oracle = new SplitOracle(raw, ring, indirectOk, policy, USED, usedEnd);
            int next = start;           // the device's next available index, as the oracle follows it
            boolean following = true;   // until the oracle cannot know what the queue saw
            int rounds = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
            for (int round = 0; round < rounds; round++) {
                if (round > 0) PlausibleRings.split(raw, ring, random, next); // the guest rewrites its ring between polls
                for (int polls = 0; polls <= q + 1; polls++) {
                    SplitOracle.Poll expected = following ? oracle.nextPoll(next) : null;
                    if (round == 0 && polls == 0) firstChain(policy, expected.firstVerdict());
                    int rejectedBefore = seen.count;
                    Chain c = pollWithinBound(dq, seen, q, policy, SPLIT);
                    if (expected != null) {
                        if (expected.uncertain()) {
                            following = false;
                        } else {
                            checkSplitPoll(expected, c, dq, seen.rules.subList(rejectedBefore, seen.count));
                            next = expected.after();
                            following = !dq.isBroken();
                        }
                    }
                    if (c == null) break;
                    assertThat(c.id()).as("split ids are head indices").isBetween(0, q - 1);
                    complete(dq, c, memory, random, q, policy);
                }
                dq.publish();
            }
            seen.rules.forEach(r -> SPLIT.rejected.get(r).incrementAndGet());
        }
    }

    @Property
    void packedDeviceQueueSurvivesAnyRingContents(
            @ForAll("tables") List<RawDescriptor> table,
            @ForAll("tables") List<RawDescriptor> indirect,
            @ForAll("policies") ValidationPolicy policy,
            @ForAll long seed) {
        Random random = new Random(seed);
        int q = 1 + random.nextInt(random.nextBoolean() ? 8 : 40);   // packed sizes need not be powers of two
        boolean indirectOk = random.nextBoolean();
        long features = VirtioFeatures.bit(VirtioFeatures.RING_PACKED)
                | (indirectOk ? VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) : 0)
                | (random.nextBoolean() ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0)
                | (random.nextBoolean() ? VirtioFeatures.bit(VirtioFeatures.IN_ORDER) : 0);
        PackedRing ring = new PackedRing(q, DESC, AVAIL, USED);
        int position = random.nextInt(q);
        boolean wrap = random.nextBoolean();
        PACKED.tries.incrementAndGet();

        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(BASE, SIZE)) {
            GuestMemory raw = g.memory();
            for (int i = 0; i < q; i++) {
                RawDescriptor d = table.isEmpty() ? new RawDescriptor(0, 0, 0, 0) : table.get(i % table.size());
                int flags = d.flags();
                // Mostly mark slots available for the lap they are in, so that lists are actually walked.
                if (random.nextInt(4) != 0) flags = PlausibleRings.withLap(flags, i >= position ? wrap : !wrap);
                raw.writeLe64(ring.desc(i), d.addr());
                raw.writeLe32(ring.descLen(i), d.len());
                raw.writeLe16(ring.descId(i), (short) d.next());
                raw.writeLe16(ring.descFlags(i), (short) flags);
            }
            for (int i = 0; i < Math.max(indirect.size(), 1) && i < 32; i++) {
                put(raw, TABLES + 16L * i, indirect.isEmpty() ? null : indirect.get(i));
            }
            raw.writeLe32(AVAIL, random.nextInt());   // driver event suppression area: anything
            if (random.nextBoolean()) PlausibleRings.packed(raw, ring, random, position, wrap);

            long ringEnd = DESC + PackedRing.ringBytes(q);
            GuestMemory memory = raw
                    .withGuard((a, l, w) -> {
                        throw new AssertionError(String.format("out-of-range %s 0x%x+%d", w ? "write" : "read", a, l));
                    })
                    .withWriteObserver((a, l) -> {
                        boolean inRing = a >= DESC && a + l <= ringEnd;
                        boolean inDeviceArea = a >= USED && a + l <= USED + PackedRing.EVENT_BYTES;
                        if (!inRing && !inDeviceArea) {
                            throw new AssertionError(String.format("device wrote 0x%x+%d outside its ring and device area", a, l));
                        }
                    });
            RejectionCounter seen = new RejectionCounter();
            long base = position | (wrap ? 1L << 15 : 0) | (long) position << 16 | (wrap ? 1L << 31 : 0);
            DeviceQueue dq = new PackedDeviceQueue(memory, QueueConfig.of(0, q, DESC, AVAIL, USED, features)
                    .withPolicy(policy).withBase(base).withObserver(seen));
            PackedOracle oracle = new PackedOracle(raw, ring, indirectOk, policy);
            boolean following = true;   // until a list is rejected: where a skip resumes is the queue's own choice
            int rounds = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
            for (int round = 0; round < rounds; round++) {
                if (round > 0 && following) PlausibleRings.packed(raw, ring, random, position, wrap);
                for (int polls = 0; polls <= q + 1; polls++) {
                    ExpectedChain expected = following ? oracle.listAt(position, wrap) : null;
                    if (round == 0 && polls == 0) {
                        firstChain(policy, expected == null ? "nothing available" : expected.valid() ? "valid" : "invalid");
                    }
                    int rejectedBefore = seen.count;
                    Chain c = pollWithinBound(dq, seen, q, policy, PACKED);
                    List<ChainRule> rejected = seen.rules.subList(rejectedBefore, seen.count);
                    if (following && expected == null) {
                        assertThat(c).as("nothing was available").isNull();
                        assertThat(rejected).isEmpty();
                        assertThat(dq.isBroken()).isFalse();
                    } else if (following && expected.valid()) {
                        assertThat(rejected).as("a valid list was rejected").isEmpty();
                        assertMatches(c, expected);
                        position += expected.slots;
                        if (position >= q) {
                            position -= q;
                            wrap = !wrap;
                        }
                        assertThat(dq.base() & 0xffff).isEqualTo(PackedRing.offWrap(position, wrap));
                    } else if (following) {
                        assertThat(rejected).as("an invalid list (%s) was not rejected", expected).isNotEmpty();
                        assertThat(expected.fatal).contains(rejected.get(0));
                        if (expected.reaction() == Reaction.NEEDS_RESET) {
                            assertThat(c).isNull();
                            assertThat(dq.brokenBy().rule()).isEqualTo(rejected.get(0));
                        }
                        following = false;
                    }
                    if (c == null) break;
                    // The id is the one the list's last descriptor carries; the device stands right after that slot.
                    int last = (int) ((dq.base() & 0x7fff) + q - 1) % q;
                    assertThat(c.id()).isEqualTo(raw.readLe16(ring.descId(last)) & 0xffff);
                    complete(dq, c, memory, random, q, policy);
                }
                dq.publish();
            }
            seen.rules.forEach(r -> PACKED.rejected.get(r).incrementAndGet());
        }
    }

    /**
     * Statistics of the first chain of each try, with a coverage check that valid and invalid ones both occur often
     * under the strict policy: a queue that rejected everything (or nothing) would then fail the oracle check.
     */
    static void firstChain(ValidationPolicy policy, String verdict) {
        String kind = policy == STRICT ? "strict" : "other";
        Statistics.label("first chain").collect(kind, verdict);
        Statistics.label("first chain").coverage(c -> {
            c.check("strict", "valid").percentage(p -> p >= 1);
            c.check("strict", "invalid").percentage(p -> p >= 1);
        });
    }

    /** The split oracle's expectation for one poll against what the queue did. */
    static void checkSplitPoll(SplitOracle.Poll expected, Chain c, DeviceQueue dq, List<ChainRule> rejected) {
        int skips = expected.skipped().size();
        assertThat(rejected).as("rejections in this poll").hasSize(skips + (expected.breaks() != null ? 1 : 0));
        for (int i = 0; i < skips; i++) assertThat(expected.skipped().get(i).fatal).contains(rejected.get(i));
        if (expected.breaks() != null) {
            assertThat(c).isNull();
            assertThat(dq.isBroken()).isTrue();
            assertThat(expected.breaks()).contains(dq.brokenBy().rule());
        } else {
            assertThat(dq.isBroken()).as("broken by %s", dq.brokenBy()).isFalse();
            if (expected.served() == null) assertThat(c).isNull();
            else assertMatches(c, expected.served());
        }
        assertThat(dq.base()).as("next available index").isEqualTo(expected.after());
    }

    /** The chain the queue served is the one the oracle worked out: same id, buffers, extent and tolerated rules. */
    static void assertMatches(Chain c, ExpectedChain e) {
        assertThat(c).as("a valid chain was not served: %s", e).isNotNull();
        assertThat(c.id()).isEqualTo(e.id);
        assertThat(c.readable()).isEqualTo(e.readable);
        assertThat(c.writable()).isEqualTo(e.writable);
        assertThat(c.ringSlots()).isEqualTo(e.slots);
        Set<ChainRule> tolerated = EnumSet.noneOf(ChainRule.class);
        c.tolerated().forEach(t -> tolerated.add(t.rule()));
        assertThat(tolerated).as("tolerated rules").isEqualTo(e.tolerated);
    }

    /** One poll, checking that it read no more descriptors than the chains it took allow. */
    static Chain pollWithinBound(DeviceQueue dq, RejectionCounter seen, int q, ValidationPolicy policy, Tally tally) {
        int hard = Math.max(q, policy.hardChainLimit());
        // Split: the hard limit of buffer descriptors, plus one indirect pointer and the descriptor that tripped a
        // check. Packed lists may (when tolerated) hold several indirect pointers, at most one per ring slot.
        long perChain = tally == SPLIT ? hard + 2 : hard + q + 2L;
        long readsBefore = dq.descriptorsRead();
        int rejectedBefore = seen.count;
        Chain c = dq.poll();
        int taken = (c == null ? 0 : 1) + (seen.count - rejectedBefore);
        // Nothing is read when nothing was taken.
        assertThat(dq.descriptorsRead() - readsBefore).isLessThanOrEqualTo(taken * perChain);
        if (c != null) tally.served.incrementAndGet();
        return c;
    }

    /** Checks a served chain against the rules that hold whatever the oracle knows, and completes it. */
    static void complete(DeviceQueue dq, Chain c, GuestMemory memory, Random random, int q, ValidationPolicy policy) {
        checkChain(c, memory, q, Math.max(q, policy.hardChainLimit()));
        dq.complete(c, (long) (random.nextDouble() * (c.writableBytes() + 1)));
        if (random.nextBoolean()) dq.publish();
    }

    static void checkChain(Chain c, GuestMemory memory, int q, int hard) {
        boolean tooLongTolerated = c.tolerated().stream().anyMatch(e -> e.rule() == ChainRule.CHAIN_TOO_LONG);
        int buffers = c.readable().size() + c.writable().size();
        assertThat(buffers).isLessThanOrEqualTo(tooLongTolerated ? hard : q);
        long total = 0;
        for (Segment s : c.readable()) {
            assertThat(memory.contains(s.address(), s.unsignedLength())).isTrue();
            total += s.unsignedLength();
        }
        for (Segment s : c.writable()) {
            assertThat(memory.contains(s.address(), s.unsignedLength())).isTrue();
            total += s.unsignedLength();
        }
        assertThat(total).isLessThanOrEqualTo(1L << 32);
        assertThat(c.ringSlots()).isBetween(1, q);
        assertThat(c.readableBytes() + c.writableBytes()).isEqualTo(total);
        for (ChainError e : c.tolerated()) assertThat(e.rule().tolerable()).isTrue();
    }

    private static void put(GuestMemory m, long at, RawDescriptor d) {
        if (d == null) return;
        m.writeLe64(at, d.addr());
        m.writeLe32(at + 8, d.len());
        m.writeLe16(at + 12, (short) d.flags());
        m.writeLe16(at + 14, (short) d.next());
    }

    /** Counts rejections for the step bound and the summary. */
    static final class RejectionCounter implements dev.pvkit.sdk.virtqueue.QueueObserver {
        int count;
        final List<ChainRule> rules = new java.util.ArrayList<>();

        @Override
        public void chainRejected(int queue, ChainError error, Reaction reaction) {
            count++;
            rules.add(error.rule());
            assertThat(error.requirement()).isNotNull();
        }
    }

    @AfterContainer
    static void report() {
        print("split", SPLIT);
        print("packed", PACKED);
    }

    private static void print(String format, Tally t) {
        StringBuilder sb = new StringBuilder("hostile ").append(format).append(" rings: ").append(t.tries.get())
                .append(" tries, ").append(t.served.get()).append(" chains served; rejected by rule:");
        t.rejected.forEach((r, n) -> {
            if (n.get() > 0) sb.append(' ').append(r).append('=').append(n.get());
        });
        System.out.println(sb);
    }
}
