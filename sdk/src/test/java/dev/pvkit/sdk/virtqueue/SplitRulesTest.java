package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.testkit.QueueRecorder.Rejection;
import dev.pvkit.sdk.testkit.QueueRecorder;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.RawRingWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.pvkit.sdk.virtqueue.SplitRing.F_INDIRECT;
import static dev.pvkit.sdk.virtqueue.SplitRing.F_NEXT;
import static dev.pvkit.sdk.virtqueue.SplitRing.F_WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * One test per chain rule: the smallest split ring that breaks it, and the typed error that names the rule and
 * the requirement. Ring: Q = 4, descriptor table at 0x10000, available ring 0x11000, used ring 0x12000, data
 * from 0x20000, indirect tables at 0x30000; guest memory is 0x10000..0x110000.
 */
class SplitRulesTest {

    static final int Q = 4;
    static final SplitRing RING = new SplitRing(Q, 0x10000, 0x11000, 0x12000);
    static final long DATA = 0x20000;
    static final long TABLE = 0x30000;
    static final long OUTSIDE = 0x200000;
    static final long ALL = VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC);

    /** Writes a ring that exposes one chain at head 0, built by {@code descriptors}. */
    static Consumer<RawRingWriter> oneChain(Consumer<RawRingWriter> descriptors) {
        return w -> {
            descriptors.accept(w);
            w.availEntry(RING, 0, 0).availIdx(RING, 1);
        };
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                rule(ChainRule.HEAD_OUT_OF_RANGE, "DRV-SPLIT-018", ALL,
                        w -> w.availEntry(RING, 0, Q).availIdx(RING, 1)),
                rule(ChainRule.NEXT_OUT_OF_RANGE, "DRV-SPLIT-019", ALL, oneChain(w ->
                        w.splitDescriptor(RING, 0, DATA, 16, F_NEXT, Q))),
                rule(ChainRule.LOOP, "DRV-SPLIT-009", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, DATA, 16, F_NEXT, 1)
                        .splitDescriptor(RING, 1, DATA, 16, F_NEXT, 0))),
                rule(ChainRule.CHAIN_TOO_LONG, "DRV-SPLIT-014", ALL, oneChain(w -> {
                    w.splitDescriptor(RING, 0, TABLE, 16 * (Q + 1), F_INDIRECT, 0);
                    for (int i = 0; i <= Q; i++) w.splitDescriptorAt(TABLE + 16L * i, DATA, 16, i < Q ? F_NEXT : 0, i + 1);
                })),
                rule(ChainRule.BUFFER_OUTSIDE_MEMORY, "DRV-SPLIT-044", ALL, oneChain(w ->
                        w.splitDescriptor(RING, 0, 0x10ff00, 0x200, 0, 0))),
                rule(ChainRule.READABLE_AFTER_WRITABLE, "DRV-SPLIT-006", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, DATA, 16, F_WRITE | F_NEXT, 1)
                        .splitDescriptor(RING, 1, DATA + 16, 16, 0, 0))),
                rule(ChainRule.INDIRECT_NOT_NEGOTIATED, "DRV-SPLIT-012", 0, oneChain(w -> w
                        .splitDescriptor(RING, 0, TABLE, 16, F_INDIRECT, 0)
                        .splitDescriptorAt(TABLE, DATA, 16, 0, 0))),
                rule(ChainRule.INDIRECT_WITH_NEXT, "DRV-SPLIT-015", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, TABLE, 16, F_INDIRECT | F_NEXT, 1)
                        .splitDescriptorAt(TABLE, DATA, 16, 0, 0))),
                rule(ChainRule.NESTED_INDIRECT, "DRV-SPLIT-013", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, TABLE, 16, F_INDIRECT, 0)
                        .splitDescriptorAt(TABLE, TABLE + 0x100, 16, F_INDIRECT, 0))),
                rule(ChainRule.INDIRECT_BAD_LENGTH, "DRV-SPLIT-017", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, TABLE, 24, F_INDIRECT, 0))),
                rule(ChainRule.INDIRECT_BAD_LENGTH, "DRV-SPLIT-017", ALL, oneChain(w -> w   // an empty table
                        .splitDescriptor(RING, 0, TABLE, 0, F_INDIRECT, 0))),
                rule(ChainRule.INDIRECT_TABLE_OUTSIDE_MEMORY, "DRV-SPLIT-044", ALL, oneChain(w -> w
                        .splitDescriptor(RING, 0, OUTSIDE, 32, F_INDIRECT, 0))),
                rule(ChainRule.AVAIL_INDEX_JUMP, "DRV-SPLIT-022", ALL, w -> w.availIdx(RING, Q + 1)));
    }

    static Arguments rule(ChainRule rule, String requirement, long features, Consumer<RawRingWriter> ring) {
        return Arguments.of(rule, requirement, features, ring);
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("violations")
    void strictPolicyStopsTheQueueWithTheTypedError(ChainRule rule, String requirement, long features,
                                                     Consumer<RawRingWriter> breakRing) {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            GuestMemory m = g.memory().withGuard((a, l, w) -> {
                throw new AssertionError(String.format("out-of-range access 0x%x+%d", a, l));
            });
            breakRing.accept(new RawRingWriter(m));
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue q = new SplitDeviceQueue(m, QueueConfig.of(3, Q, RING.descriptors(), RING.avail(), RING.used(), features)
                    .withPolicy(ValidationPolicy.strict()).withObserver(seen));

            assertThat(q.poll()).isNull();

            assertThat(q.isBroken()).isTrue();
            ChainError e = q.brokenBy();
            assertThat(e.rule()).isEqualTo(rule);
            assertThat(e.requirement()).isEqualTo(requirement);
            assertThat(e.queue()).isEqualTo(3);
            assertThat(seen.rejections()).extracting(Rejection::error).containsExactly(e);
            assertThat(seen.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.NEEDS_RESET);
            assertThat(q.poll()).as("a broken queue serves nothing").isNull();
        }
    }

    @Test
    void errorsCarryTheOffendingDescriptor() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 2, DATA, 16, F_NEXT, 3)
                    .splitDescriptor(RING, 3, 0x10ff00, 0x200, F_WRITE, 0)
                    .availEntry(RING, 0, 2).availIdx(RING, 1);
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL));
            assertThat(q.poll()).isNull();
            ChainError e = q.brokenBy();
            assertThat(e.head()).isEqualTo(2);
            assertThat(e.descriptor()).isEqualTo(3);
            assertThat(e.address()).isEqualTo(0x10ff00);
            assertThat(e.length()).isEqualTo(0x200);
            assertThat(e.flags()).isEqualTo(F_WRITE);
            assertThat(e.indirect()).isFalse();
            assertThat(e.toString()).contains("BUFFER_OUTSIDE_MEMORY", "DRV-SPLIT-044", "descriptor 3 of chain 2");
        }
    }

    @Test
    void lengthsAddingUpPastFourGibibytesAreRefused() {
        // Buffers must be inside guest memory before their lengths are summed, so this guest has 5 GiB.
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 5L << 30)) {
            SplitRing ring = new SplitRing(Q, 0x1000, 0x2000, 0x3000);
            new RawRingWriter(g.memory())
                    .splitDescriptor(ring, 0, 0x10000, -1, F_NEXT, 1)            // 2^32 - 1 bytes
                    .splitDescriptor(ring, 1, 0x1_0001_0000L, 2, 0, 0)           // + 2 bytes
                    .availEntry(ring, 0, 0).availIdx(ring, 1);
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, 0x1000, 0x2000, 0x3000, ALL));
            assertThat(q.poll()).isNull();
            assertThat(q.brokenBy().rule()).isEqualTo(ChainRule.TOTAL_LENGTH_OVERFLOW);
            assertThat(q.brokenBy().requirement()).isEqualTo("DRV-SPLIT-008");
        }
    }

    @Test
    void aChainOfExactlyFourGibibytesIsServedAndItsUsedLengthNeverWrapsToZero() {
        // 2^32 bytes is the most a split chain may hold [DRV-SPLIT-008]; used.len has 32 bits, so the device reports
        // 2^32 - 1 for a full write — allowed, since it may write more than it reports [DEV-SPLIT-017].
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 5L << 30)) {
            SplitRing ring = new SplitRing(Q, 0x1000, 0x2000, 0x3000);
            new RawRingWriter(g.memory())
                    .splitDescriptor(ring, 0, 0x10000, -1, F_WRITE | F_NEXT, 1)  // 2^32 - 1 bytes
                    .splitDescriptor(ring, 1, 0x1_0001_0000L, 1, F_WRITE, 0)     // + 1 byte
                    .availEntry(ring, 0, 0).availIdx(ring, 1);
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, 0x1000, 0x2000, 0x3000, ALL).withObserver(seen));
            Chain c = q.poll();
            assertThat(c).isNotNull();
            assertThat(c.writableBytes()).isEqualTo(1L << 32);
            q.complete(c, 1L << 32);
            q.publish();
            assertThat(Integer.toUnsignedLong(g.memory().readLe32(ring.usedRing(0) + 4))).isEqualTo(0xffff_ffffL);
            assertThat(seen.used()).singleElement().satisfies(u -> assertThat(u.length()).isEqualTo(0xffff_ffffL));
        }
    }

    @Test
    void zeroLengthBuffersMustStillStartInsideGuestMemory() {
        // An empty range is inside guest memory exactly when its address is (GuestMemory.contains): a zero-length
        // buffer at a wild address never reaches a handler.
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, DATA, 0, F_NEXT, 1)
                    .splitDescriptor(RING, 1, DATA + 16, 16, F_WRITE, 0)
                    .splitDescriptor(RING, 2, OUTSIDE, 0, 0, 0)
                    .availEntry(RING, 0, 0).availEntry(RING, 1, 2).availIdx(RING, 2);
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL));
            Chain inside = q.poll();
            assertThat(inside.readable()).containsExactly(new Segment(DATA, 0));
            assertThat(q.poll()).isNull();
            assertThat(q.brokenBy().rule()).isEqualTo(ChainRule.BUFFER_OUTSIDE_MEMORY);
            assertThat(q.brokenBy().address()).isEqualTo(OUTSIDE);
        }
    }

    @Test
    void skipReturnsTheChainUnusedAndGoesOn() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, OUTSIDE, 16, 0, 0)           // bad
                    .splitDescriptor(RING, 1, DATA, 16, F_WRITE, 0)        // good
                    .availEntry(RING, 0, 0).availEntry(RING, 1, 1).availIdx(RING, 2);
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL)
                    .withPolicy(ValidationPolicy.skipInvalid()).withObserver(seen));

            Chain good = q.poll();
            assertThat(good.id()).isEqualTo(1);
            assertThat(q.isBroken()).isFalse();
            assertThat(seen.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.SKIP);
            assertThat(seen.used()).containsExactly(new QueueRecorder.Used(0, 0, 0));   // the bad chain went back with length 0
            q.complete(good, 16);
            assertThat(q.publish()).isTrue();
            assertThat(g.memory().readLe16(RING.usedIdx())).isEqualTo((short) 2);
        }
    }

    @Test
    void tolerantPolicyServesWhatIsSafeAndRecordsTheViolation() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, DATA, 16, F_WRITE | F_NEXT, 1)
                    .splitDescriptor(RING, 1, DATA + 16, 32, 0, 0)
                    .availEntry(RING, 0, 0).availIdx(RING, 1);
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL)
                    .withPolicy(ValidationPolicy.tolerant()));
            Chain c = q.poll();
            assertThat(c).isNotNull();
            assertThat(c.readableBytes()).isEqualTo(32);
            assertThat(c.writableBytes()).isEqualTo(16);
            assertThat(c.tolerated()).extracting(ChainError::rule).containsExactly(ChainRule.READABLE_AFTER_WRITABLE);

            // A handler cannot change what the queue validated.
            assertThatThrownBy(() -> c.readable().add(new Segment(OUTSIDE, 16))).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> c.writable().clear()).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> c.tolerated().clear()).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void indirectWithoutTheFeatureIsServedWhenTolerated() {
        Chain c = tolerated(0, w -> w
                .splitDescriptor(RING, 0, TABLE, 16, F_INDIRECT, 0)
                .splitDescriptorAt(TABLE, DATA, 16, F_WRITE, 0));
        assertThat(c.readable()).isEmpty();
        assertThat(c.writable()).containsExactly(new Segment(DATA, 16));
        assertThat(c.tolerated()).extracting(ChainError::rule).containsExactly(ChainRule.INDIRECT_NOT_NEGOTIATED);
        assertThat(c.tolerated().get(0).requirement()).isEqualTo("DRV-SPLIT-012");
    }

    @Test
    void indirectWithNextIsServedWhenToleratedAndTheNextLinkIgnored() {
        Chain c = tolerated(ALL, w -> w
                .splitDescriptor(RING, 0, TABLE, 16, F_INDIRECT | F_NEXT, 1)
                .splitDescriptorAt(TABLE, DATA, 16, 0, 0)
                .splitDescriptor(RING, 1, DATA + 0x100, 16, F_WRITE, 0));   // not part of the chain
        assertThat(c.readable()).containsExactly(new Segment(DATA, 16));
        assertThat(c.writable()).isEmpty();
        assertThat(c.tolerated()).extracting(ChainError::rule).containsExactly(ChainRule.INDIRECT_WITH_NEXT);
        assertThat(c.tolerated().get(0).requirement()).isEqualTo("DRV-SPLIT-015");
    }

    @Test
    void anEmptyIndirectTableIsSkippedEvenByTheTolerantPolicy() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, TABLE, 0, F_INDIRECT, 0)
                    .splitDescriptor(RING, 1, DATA, 16, 0, 0)
                    .availEntry(RING, 0, 0).availEntry(RING, 1, 1).availIdx(RING, 2);
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL)
                    .withPolicy(ValidationPolicy.tolerant()).withObserver(seen));
            assertThat(q.poll().id()).isEqualTo(1);
            assertThat(seen.rejections()).extracting(Rejection::rule).containsExactly(ChainRule.INDIRECT_BAD_LENGTH);
            assertThat(seen.rejections()).extracting(Rejection::reaction).containsExactly(Reaction.SKIP);
            assertThat(seen.used()).containsExactly(new QueueRecorder.Used(0, 0, 0));
        }
    }

    /** The one chain at head 0 of a ring built by {@code ring}, polled under the tolerant policy. */
    private static Chain tolerated(long features, Consumer<RawRingWriter> ring) {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            oneChain(ring).accept(new RawRingWriter(g.memory()));
            QueueRecorder seen = new QueueRecorder();
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), features)
                    .withPolicy(ValidationPolicy.tolerant()).withObserver(seen));
            Chain c = q.poll();
            assertThat(c).isNotNull();
            assertThat(q.isBroken()).isFalse();
            assertThat(seen.rejections()).isEmpty();
            assertThat(q.poll()).as("only one chain was made available").isNull();
            return c;
        }
    }

    @Test
    void toleratedLongChainsStopAtTheHardLimit() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            int entries = 515; // what one Windows driver posts, whatever the queue size
            RawRingWriter w = new RawRingWriter(g.memory()).splitDescriptor(RING, 0, TABLE, 16 * entries, F_INDIRECT, 0);
            for (int i = 0; i < entries; i++) w.splitDescriptorAt(TABLE + 16L * i, DATA, 8, i < entries - 1 ? F_NEXT : 0, i + 1);
            w.availEntry(RING, 0, 0).availIdx(RING, 1);
            QueueConfig c = QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL);

            Chain served = new SplitDeviceQueue(g.memory(), c.withPolicy(ValidationPolicy.tolerant())).poll();
            assertThat(served.readable()).hasSize(entries);
            assertThat(served.tolerated()).extracting(ChainError::rule).containsExactly(ChainRule.CHAIN_TOO_LONG);

            SplitDeviceQueue capped = new SplitDeviceQueue(g.memory(), c.withPolicy(ValidationPolicy.tolerant().withHardChainLimit(512)));
            assertThat(capped.poll()).isNull();
            assertThat(capped.isBroken()).isFalse(); // beyond the cap the chain is skipped, not served
        }
    }

    /** The builder's lists are reused from chain to chain: a chain keeps its own, immutable, whatever comes next. */
    @Test
    void aChainKeepsItsBuffersWhenTheNextIsPolledAndTheyCannotBeChanged() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, DATA, 16, F_NEXT, 1)
                    .splitDescriptor(RING, 1, DATA + 16, 1, F_WRITE, 0)
                    .splitDescriptor(RING, 2, DATA + 0x100, 16, F_NEXT, 3)
                    .splitDescriptor(RING, 3, DATA + 0x110, 512, 0, 0)
                    .availEntry(RING, 0, 0).availEntry(RING, 1, 2).availIdx(RING, 2);
            SplitDeviceQueue q = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL));
            Chain first = q.poll();
            Chain second = q.poll();
            assertThat(first.readable()).containsExactly(new Segment(DATA, 16));
            assertThat(first.writable()).containsExactly(new Segment(DATA + 16, 1));
            assertThat(second.readable()).containsExactly(new Segment(DATA + 0x100, 16), new Segment(DATA + 0x110, 512));
            assertThat(second.writable()).isEmpty();
            assertThatThrownBy(() -> first.readable().add(new Segment(0, 1))).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> second.readable().remove(0)).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void validChainsWithIndirectTailAreAccepted() {
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0x10000, 0x100000)) {
            new RawRingWriter(g.memory())
                    .splitDescriptor(RING, 0, DATA, 16, F_NEXT, 1)                  // direct header
                    .splitDescriptor(RING, 1, TABLE, 32, F_INDIRECT | F_WRITE, 0)   // WRITE on INDIRECT is ignored
                    .splitDescriptorAt(TABLE, DATA + 16, 512, F_NEXT | F_WRITE, 1)
                    .splitDescriptorAt(TABLE + 16, DATA + 528, 1, F_WRITE, 0)
                    .availEntry(RING, 0, 0).availIdx(RING, 1);
            Chain c = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, Q, RING.descriptors(), RING.avail(), RING.used(), ALL)).poll();
            assertThat(c.readable()).containsExactly(new Segment(DATA, 16));
            assertThat(c.writable()).containsExactly(new Segment(DATA + 16, 512), new Segment(DATA + 528, 1));
            assertThat(c.tolerated()).isEmpty();
        }
    }
}
