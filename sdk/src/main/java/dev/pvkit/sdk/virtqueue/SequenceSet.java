package dev.pvkit.sdk.virtqueue;

/**
 * The sequence numbers of the chains in flight on a queue: an open-addressing set of primitive longs, so taking and
 * completing a chain allocates nothing and stores no reference into this long-lived table (a {@code HashMap<Long,
 * Chain>} boxed every key and made a node per chain; a table of chains paid the collector's write barrier, with its
 * memory fence, on every take). Sequence numbers are consecutive, so the key itself, masked, spreads them well;
 * linear probing, deletion by backward shift (no tombstones), doubling at half full.
 *
 * <p>The set counts entries that sit away from their home slot. Consecutive keys normally all sit at home, and then
 * a removal has nothing to shift: it clears its slot and stops, instead of scanning the whole run of chains in
 * flight behind it (a batch of 32 made every completion read on through the rest of the batch).
 */
final class SequenceSet {
    private long[] keys = new long[16];
    /** False: an empty slot. */
    private boolean[] used = new boolean[16];
    private int size;
    /** Entries not in their home slot: only they can need moving when a slot before them empties. */
    private int displaced;

    int size() {
        return size;
    }

    boolean contains(long sequence) {
        int mask = keys.length - 1;
        for (int i = slot(sequence, mask); used[i]; i = (i + 1) & mask) {
            if (keys[i] == sequence) return true;
        }
        return false;
    }

    /** Adds {@code sequence}; nothing changes when it is there already. */
    void add(long sequence) {
        if (2 * (size + 1) > keys.length) grow();
        int mask = keys.length - 1;
        int home = slot(sequence, mask);
        int i = home;
        while (used[i]) {
            if (keys[i] == sequence) return;
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = sequence;
        size++;
        if (i != home) displaced++;
    }

    /** Removes {@code sequence}; false when it was not there. */
    boolean remove(long sequence) {
        int mask = keys.length - 1;
        int i = slot(sequence, mask);
        while (used[i] && keys[i] != sequence) i = (i + 1) & mask;
        if (!used[i]) return false;
        used[i] = false;
        size--;
        if (i != slot(sequence, mask)) displaced--;
        if (displaced == 0) return true;
        // Backward shift: pull later entries of the probe run into the hole unless their home slot lies
        // (cyclically) after the hole, so every entry stays reachable from its home slot.
        for (int j = (i + 1) & mask; used[j]; j = (j + 1) & mask) {
            int home = slot(keys[j], mask);
            boolean homeInHoleToJ = i <= j ? home > i && home <= j : home > i || home <= j;
            if (!homeInHoleToJ) {
                keys[i] = keys[j];
                used[i] = true;
                used[j] = false;
                if (i == home) displaced--; // it was away from home (home is not j), and now is back
                i = j;
            }
        }
        return true;
    }

    private void grow() {
        long[] oldKeys = keys;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        used = new boolean[oldUsed.length * 2];
        size = 0;
        displaced = 0;
        for (int i = 0; i < oldUsed.length; i++) if (oldUsed[i]) add(oldKeys[i]);
    }

    private static int slot(long sequence, int mask) {
        return (int) (sequence ^ (sequence >>> 32)) & mask;
    }
}
