package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.driver.RawRingWriter;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notification decisions equal the spec's rule for every 16-bit index combination around wrap-around. The oracle
 * is the rule as the spec states it — "notify when one of the entries just published sits at the event index" —
 * computed by enumeration, not by the formula under test.
 */
class NotificationProperties {

    /** Notify iff {@code event} is one of old, old+1, …, new-1 (mod 2^16). */
    static boolean oracle(int event, int newIdx, int oldIdx) {
        int n = (newIdx - oldIdx) & 0xffff;
        for (int k = 0; k < n; k++) {
            if (((oldIdx + k) & 0xffff) == event) return true;
        }
        return false;
    }

    @Example
    void formulaEqualsTheRuleForAllCombinationsAroundWrap() {
        // Every old index within 40 of the wrap point, every batch of up to 40 entries, every event index
        // within 80 of the wrap point: 80 * 41 * 160 = 524,800 combinations.
        int checked = 0;
        for (int o = -40; o < 40; o++) {
            int old = o & 0xffff;
            for (int n = 0; n <= 40; n++) {
                int neu = (old + n) & 0xffff;
                for (int e = -80; e < 80; e++) {
                    int event = e & 0xffff;
                    assertThat(SplitRing.needEvent(event, neu, old))
                            .as("event %d new %d old %d", event, neu, old)
                            .isEqualTo(oracle(event, neu, old));
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(80 * 41 * 160);
    }

    @Property(tries = 2000)
    void formulaEqualsTheRuleAnywhere(@ForAll @IntRange(max = 0xffff) int old,
                                      @ForAll @IntRange(max = 300) int batch,
                                      @ForAll @IntRange(min = -320, max = 320) int eventOffset) {
        int neu = (old + batch) & 0xffff;
        int event = (old + eventOffset) & 0xffff;
        assertThat(SplitRing.needEvent(event, neu, old)).isEqualTo(oracle(event, neu, old));
    }

    /**
     * Packed DESC mode: for every ring size up to 12, every writer position and lap, every batch that fits in a
     * lap and every event point (offset and wrap bit), the decision equals "the event slot was one of the slots
     * just written", found by walking those slots back from the writer's position.
     */
    @Example
    void packedDescModeEqualsTheRuleForEveryPositionAndLap() {
        int checked = 0;
        for (int q = 1; q <= 12; q++) {
            for (int pos = 0; pos < q; pos++) {
                for (boolean wrap : new boolean[]{false, true}) {
                    for (int written = 0; written < q; written++) {
                        for (int off = 0; off < q; off++) {
                            for (boolean evWrap : new boolean[]{false, true}) {
                                boolean expected = false;
                                int p = pos;
                                boolean w = wrap;
                                for (int k = 0; k < written; k++) {   // step back over the written slots
                                    if (p == 0) {
                                        p = q;
                                        w = !w;
                                    }
                                    p--;
                                    if (p == off && w == evWrap) expected = true;
                                }
                                assertThat(PackedRing.needEvent(PackedRing.offWrap(off, evWrap), q, pos, wrap, written))
                                        .as("q %d pos %d wrap %s written %d event %d/%s", q, pos, wrap, written, off, evWrap)
                                        .isEqualTo(expected);
                                checked++;
                            }
                        }
                    }
                }
            }
        }
        assertThat(checked).isPositive();
    }

    /**
     * The split device queue's publish() decides as the rule says, with EVENT_IDX (used_event) and without
     * (VIRTQ_AVAIL_F_NO_INTERRUPT), for a used index starting anywhere — including just below the wrap.
     */
    @Property(tries = 1000)
    void splitDeviceQueueDecidesByTheRule(@ForAll @IntRange(max = 0xffff) int start,
                                          @ForAll @IntRange(min = 1, max = 8) int completions,
                                          @ForAll @IntRange(min = -10, max = 10) int eventOffset,
                                          @ForAll boolean eventIdx,
                                          @ForAll boolean noInterrupt) {
        int q = 8;
        SplitRing ring = new SplitRing(q, 0x1000, 0x2000, 0x3000);
        try (OwnedGuestMemory g = OwnedGuestMemory.anonymous(0, 0x10000)) {
            RawRingWriter w = new RawRingWriter(g.memory());
            g.memory().writeLe16(ring.usedIdx(), (short) start);
            for (int i = 0; i < completions; i++) {
                w.splitDescriptor(ring, i, 0x8000 + 16L * i, 16, SplitRing.F_WRITE, 0);
                w.availEntry(ring, (start + i) & (q - 1), i);
            }
            int event = (start + eventOffset) & 0xffff;
            w.usedEvent(ring, event).availFlags(ring, noInterrupt ? SplitRing.AVAIL_F_NO_INTERRUPT : 0);
            w.availIdx(ring, start + completions);
            long features = eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0;
            SplitDeviceQueue dq = new SplitDeviceQueue(g.memory(), QueueConfig.of(0, q, 0x1000, 0x2000, 0x3000, features).withBase(start));
            for (int i = 0; i < completions; i++) {
                Chain c = dq.poll();
                dq.complete(c, 0);
            }
            boolean expected = eventIdx ? oracle(event, (start + completions) & 0xffff, start) : !noInterrupt;
            assertThat(dq.publish()).isEqualTo(expected);
            assertThat(dq.publish()).as("nothing new to publish").isFalse();
        }
    }
}
