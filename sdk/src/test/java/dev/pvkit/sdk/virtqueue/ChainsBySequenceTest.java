package dev.pvkit.sdk.virtqueue;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-flight table agrees with a HashMap under the traffic a queue makes: consecutive takes, any-order completions. */
class ChainsBySequenceTest {

    private static Chain chain(long sequence) {
        return new Chain((int) (sequence & 0x7fff), List.of(), List.of(), 0, 0, 1, List.of(), sequence);
    }

    @Test
    void keysSharingAHomeSlotStayReachableWhateverIsRemoved() {
        // 0, 16, 32, 48 share slot 0 in a table of 16; 1 lives in the run they push it into.
        long[] keys = {0, 16, 1, 32, 48, 15, 31};
        for (int gone = 0; gone < keys.length; gone++) {
            ChainsBySequence t = new ChainsBySequence();
            for (long k : keys) t.put(k, chain(k));
            assertThat(t.remove(keys[gone]).sequence).isEqualTo(keys[gone]);
            for (long k : keys) {
                if (k == keys[gone]) assertThat(t.get(k)).isNull();
                else assertThat(t.get(k).sequence).as("key %d after removing %d", k, keys[gone]).isEqualTo(k);
            }
            assertThat(t.size()).isEqualTo(keys.length - 1);
        }
    }

    @Test
    void agreesWithAHashMapUnderOutOfOrderCompletionsWrapsAndGrowth() {
        for (long seed = 0; seed < 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            ChainsBySequence table = new ChainsBySequence();
            Map<Long, Chain> model = new HashMap<>();
            List<Long> inFlight = new ArrayList<>();
            long next = seed % 2 == 0 ? 0 : Long.MAX_VALUE - 5000; // also across the sign of the key
            int limit = 1 + r.nextInt(300);                        // a queue's worth of chains in flight, up to beyond a table's first size
            for (int step = 0; step < 20_000; step++) {
                if (inFlight.size() < limit && (inFlight.isEmpty() || r.nextInt(3) > 0)) {
                    Chain c = chain(next);
                    table.put(next, c);
                    model.put(next, c);
                    inFlight.add(next++);
                } else {
                    // Mostly the oldest (in order), sometimes any: a straggler may stay long in flight.
                    int k = r.nextInt(4) == 0 ? r.nextInt(inFlight.size()) : 0;
                    long s = inFlight.remove(k);
                    assertThat(table.remove(s)).isSameAs(model.remove(s));
                }
                long probe = next - 1 - r.nextInt(400);
                assertThat(table.get(probe)).as("seed %d step %d key %d", seed, step, probe).isSameAs(model.get(probe));
                assertThat(table.size()).isEqualTo(model.size());
            }
            for (long s : inFlight) assertThat(table.get(s)).isSameAs(model.get(s));
            assertThat(table.remove(next)).as("never taken").isNull();
        }
    }
}
