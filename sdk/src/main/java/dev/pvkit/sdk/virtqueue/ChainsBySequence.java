package dev.pvkit.sdk.virtqueue;

/**
 * The chains in flight on a queue, by sequence number: an open-addressing table with primitive keys, so taking and
 * completing a chain allocates nothing (a {@code HashMap<Long, Chain>} boxed every key and made a node per chain).
 * Sequence numbers are consecutive, so the key itself, masked, spreads them well; linear probing, deletion by
 * backward shift (no tombstones), doubling at half full.
 *
 * <p>The table counts entries that sit away from their home slot. Consecutive keys normally all sit at home, and
 * then a removal has nothing to shift: it clears its slot and stops, instead of scanning the whole run of chains in
 * flight behind it (a batch of 32 made every completion read on through the rest of the batch).
 */
final class ChainsBySequence {
    private long[] keys = new long[16];
    /** Null: an empty slot (a chain is never null). */
    private Chain[] chains = new Chain[16];
    private int size;
    /** Entries not in their home slot: only they can need moving when a slot before them empties. */
    private int displaced;

    int size() {
        return size;
    }

    Chain get(long sequence) {
        int mask = chains.length - 1;
        for (int i = slot(sequence, mask); chains[i] != null; i = (i + 1) & mask) {
            if (keys[i] == sequence) return chains[i];
        }
        return null;
    }

    void put(long sequence, Chain chain) {
        if (chain == null) throw new IllegalArgumentException("null chain");
        if (2 * (size + 1) > chains.length) grow();
        int mask = chains.length - 1;
        int home = slot(sequence, mask);
        int i = home;
        while (chains[i] != null && keys[i] != sequence) i = (i + 1) & mask;
        if (chains[i] == null) {
            size++;
            if (i != home) displaced++;
        }
        keys[i] = sequence;
        chains[i] = chain;
    }

    /** Removes and returns the chain of {@code sequence}, or null when there is none. */
    Chain remove(long sequence) {
        int mask = chains.length - 1;
        int i = slot(sequence, mask);
        while (chains[i] != null && keys[i] != sequence) i = (i + 1) & mask;
        Chain removed = chains[i];
        if (removed == null) return null;
        chains[i] = null;
        size--;
        if (i != slot(sequence, mask)) displaced--;
        if (displaced == 0) return removed;
        // Backward shift: pull later entries of the probe run into the hole unless their home slot lies
        // (cyclically) after the hole, so every entry stays reachable from its home slot.
        for (int j = (i + 1) & mask; chains[j] != null; j = (j + 1) & mask) {
            int home = slot(keys[j], mask);
            boolean homeInHoleToJ = i <= j ? home > i && home <= j : home > i || home <= j;
            if (!homeInHoleToJ) {
                keys[i] = keys[j];
                chains[i] = chains[j];
                chains[j] = null;
                if (i == home) displaced--; // it was away from home (home is not j), and now is back
                i = j;
            }
        }
        return removed;
    }

    private void grow() {
        long[] oldKeys = keys;
        Chain[] oldChains = chains;
        keys = new long[oldKeys.length * 2];
        chains = new Chain[oldChains.length * 2];
        size = 0;
        displaced = 0;
        for (int i = 0; i < oldChains.length; i++) if (oldChains[i] != null) put(oldKeys[i], oldChains[i]);
    }

    private static int slot(long sequence, int mask) {
        return (int) (sequence ^ (sequence >>> 32)) & mask;
    }
}
