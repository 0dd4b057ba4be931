package dev.pvkit.sdk.virtqueue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-flight set agrees with a HashSet under the traffic a queue makes: consecutive takes, any-order completions. */
class SequenceSetTest {

    @Test
    void keysSharingAHomeSlotStayReachableWhateverIsRemoved() {
        // 0, 16, 32, 48 share slot 0 in a table of 16; 1 lives in the run they push it into.
        long[] keys = {0, 16, 1, 32, 48, 15, 31};
        for (int gone = 0; gone < keys.length; gone++) {
            SequenceSet t = new SequenceSet();
            for (long k : keys) t.add(k);
            assertThat(t.remove(keys[gone])).isTrue();
            for (long k : keys) {
                assertThat(t.contains(k)).as("key %d after removing %d", k, keys[gone]).isEqualTo(k != keys[gone]);
            }
            assertThat(t.size()).isEqualTo(keys.length - 1);
            assertThat(t.remove(keys[gone])).as("removed twice").isFalse();
        }
    }

    @Test
    void addingAPresentKeyChangesNothing() {
        SequenceSet t = new SequenceSet();
        t.add(7);
        t.add(7);
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.remove(7)).isTrue();
        assertThat(t.contains(7)).isFalse();
    }

    @Test
    void agreesWithAHashSetUnderOutOfOrderCompletionsWrapsAndGrowth() {
        for (long seed = 0; seed < 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            SequenceSet table = new SequenceSet();
            Set<Long> model = new HashSet<>();
            List<Long> inFlight = new ArrayList<>();
            long next = seed % 2 == 0 ? 0 : Long.MAX_VALUE - 5000; // also across the sign of the key
            int limit = 1 + r.nextInt(300);                        // a queue's worth of chains in flight, up to beyond a table's first size
            for (int step = 0; step < 20_000; step++) {
                if (inFlight.size() < limit && (inFlight.isEmpty() || r.nextInt(3) > 0)) {
                    table.add(next);
                    model.add(next);
                    inFlight.add(next++);
                } else {
                    // Mostly the oldest (in order), sometimes any: a straggler may stay long in flight.
                    int k = r.nextInt(4) == 0 ? r.nextInt(inFlight.size()) : 0;
                    long s = inFlight.remove(k);
                    assertThat(table.remove(s)).isEqualTo(model.remove(s));
                }
                long probe = next - 1 - r.nextInt(400);
                assertThat(table.contains(probe)).as("seed %d step %d key %d", seed, step, probe).isEqualTo(model.contains(probe));
                assertThat(table.size()).isEqualTo(model.size());
            }
            for (long s : inFlight) assertThat(table.contains(s)).isTrue();
            assertThat(table.remove(next)).as("never taken").isFalse();
        }
    }
}
