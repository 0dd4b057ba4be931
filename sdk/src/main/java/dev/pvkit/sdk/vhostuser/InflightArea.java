package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.os.MappedMemory;
import dev.pvkit.sdk.virtqueue.InflightTracker;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The inflight area of vhost-user (GET/SET_INFLIGHT_FD): shared memory the front-end keeps across back-end
 * restarts, in which the back-end records every split-ring chain it took and has not returned. Per queue, at
 * {@code queue * queueBytes(size)}: a 16-byte header (features u64, version u16, desc_num u16,
 * last_batch_head u16, used_idx u16), then one 16-byte state per descriptor (inflight u8, 5 padding bytes,
 * next u16, counter u64) — the split layout of vhost-user.rst's "Inflight I/O tracking". Little-endian.
 */
final class InflightArea implements AutoCloseable {
    static final int VERSION = 1;
    static final int HEADER = 16;
    static final int STATE = 16;
    static final int ALIGN = 64;

    private final MappedMemory whole;
    private final MappedMemory area;
    private final int queues;
    private final int queueSize;
    private long counter;

    /** {@code whole} is mapped from file offset 0; the area starts {@code offset} bytes into it. */
    InflightArea(MappedMemory whole, long offset, long size, int queues, int queueSize) {
        this.whole = whole;
        this.area = whole.slice(offset, size);
        this.queues = queues;
        this.queueSize = queueSize;
    }

    static long queueBytes(int queueSize) {
        long raw = HEADER + (long) STATE * queueSize;
        return (raw + ALIGN - 1) / ALIGN * ALIGN;
    }

    static long bytes(int queues, int queueSize) {
        return queues * queueBytes(queueSize);
    }

    int queues() {
        return queues;
    }

    int queueSize() {
        return queueSize;
    }

    /** Writes fresh headers: version 1, no descriptor in flight. */
    void initialise() {
        for (int q = 0; q < queues; q++) {
            ByteBuffer b = area.chunkAt(0);
            int base = (int) (q * queueBytes(queueSize));
            for (int i = 0; i < queueBytes(queueSize); i++) b.put(base + i, (byte) 0);
            b.putShort(base + 8, (short) VERSION);
            b.putShort(base + 10, (short) queueSize);
        }
    }

    /** The tracker for queue {@code q}, or null when the area does not cover it (or has another queue size). */
    InflightTracker tracker(int q, int ringSize) {
        if (q >= queues || ringSize > queueSize) return null;
        return new QueueTracker((int) (q * queueBytes(queueSize)));
    }

    private final class QueueTracker implements InflightTracker {
        private final int base;
        private final ByteBuffer b = area.chunkAt(0);

        QueueTracker(int base) {
            this.base = base;
        }

        private int state(int head) {
            return base + HEADER + STATE * head;
        }

        @Override
        public void taken(int head) {
            b.putLong(state(head) + 8, ++counter);
            b.put(state(head), (byte) 1);
        }

        @Override
        public void published(int[] heads, int count, int usedIdx) {
            for (int i = 0; i < count; i++) b.put(state(heads[i]), (byte) 0);
            b.putShort(base + 14, (short) usedIdx);
        }

        @Override
        public List<Integer> recover(int ringUsedIdx, IntUnaryOperator usedIdAt) {
            if ((b.getShort(base + 8) & 0xffff) != VERSION) { // never used: start clean
                b.putShort(base + 8, (short) VERSION);
                b.putShort(base + 10, (short) queueSize);
                b.putShort(base + 14, (short) ringUsedIdx);
                return List.of();
            }
            // Entries published before the crash but not yet cleared are completed: the used ring says which.
            int recorded = b.getShort(base + 14) & 0xffff;
            int published = (ringUsedIdx - recorded) & 0xffff;
            for (int i = 0; i < published && i < queueSize; i++) {
                int head = usedIdAt.applyAsInt(recorded + i);
                if (head >= 0 && head < queueSize) b.put(state(head), (byte) 0);
            }
            b.putShort(base + 14, (short) ringUsedIdx);
            List<long[]> pending = new ArrayList<>();
            for (int head = 0; head < queueSize; head++) {
                if (b.get(state(head)) == 1) pending.add(new long[]{head, b.getLong(state(head) + 8)});
            }
            pending.sort(Comparator.comparingLong(p -> p[1]));
            for (long[] p : pending) counter = Math.max(counter, p[1]);
            return pending.stream().map(p -> (int) p[0]).toList();
        }
    }

    @Override
    public void close() {
        whole.close();
    }
}
