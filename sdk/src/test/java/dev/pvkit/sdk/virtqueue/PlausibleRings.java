package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.Random;

import static dev.pvkit.sdk.virtqueue.HostileRingProperties.DATA;
import static dev.pvkit.sdk.virtqueue.HostileRingProperties.TABLES;

/**
 * Ring contents from a driver that is nearly right, for the hostile-ring properties: wholly random bytes make
 * almost every chain invalid at its first check, these make valid chains common and break rules one at a time.
 */
final class PlausibleRings {

    private PlausibleRings() {
    }

    /**
     * A nearly right split driver from available index {@code next} on: small buffers in guest memory, NEXT and
     * WRITE at random (so loops, bad links and order violations occur), now and then an indirect table, heads
     * mostly in range, and an available index that mostly moves by at most Q.
     */
    static void split(GuestMemory m, SplitRing ring, Random random, int next) {
        int q = ring.size();
        for (int i = 0; i < q; i++) {
            if (random.nextInt(6) == 0) continue; // leave some as they were
            int flags = (random.nextInt(3) == 0 ? SplitRing.F_NEXT : 0) | (random.nextBoolean() ? SplitRing.F_WRITE : 0);
            if (random.nextInt(8) == 0) {
                int entries = 1 + random.nextInt(4);
                int indirect = SplitRing.F_INDIRECT | (random.nextInt(6) == 0 ? SplitRing.F_NEXT : 0);
                putSplit(m, ring.desc(i), TABLES + 16L * random.nextInt(4), 16 * entries, indirect, random.nextInt(q));
            } else {
                int len = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(64);
                int link = random.nextInt(8) == 0 ? q : random.nextInt(q);
                putSplit(m, ring.desc(i), DATA + 16L * random.nextInt(0x1000), len, flags, link);
            }
        }
        for (int i = 0; i < 8; i++) {
            int flags = random.nextInt(4) & (SplitRing.F_NEXT | SplitRing.F_WRITE);
            int link = random.nextInt(3) == 0 ? random.nextInt(8) : i + 1;
            putSplit(m, TABLES + 16L * i, DATA + 16L * random.nextInt(0x1000), 1 + random.nextInt(64), flags, link);
        }
        int pending = random.nextInt(10) == 0 ? random.nextInt(0x10000) : random.nextInt(q + 1);
        for (int k = 0; k < Math.min(pending, q); k++) {
            int head = random.nextInt(10) == 0 ? q + random.nextInt(100) : random.nextInt(q);
            m.writeLe16(ring.availRing((next + k) & (q - 1)), (short) head);
        }
        m.writeLe16(ring.availIdx(), (short) (next + pending));
    }

    /**
     * A nearly right packed driver from the device's position on: small buffers, NEXT and WRITE at random, now and
     * then an indirect table, ids mostly below Q, flags mostly marking the slots available in their lap.
     */
    static void packed(GuestMemory m, PackedRing ring, Random random, int position, boolean wrap) {
        int q = ring.size();
        int count = 1 + random.nextInt(q);
        for (int k = 0; k < count; k++) {
            int slot = (position + k) % q;
            boolean lap = position + k < q ? wrap : !wrap;
            int flags = (random.nextInt(3) == 0 ? PackedRing.F_NEXT : 0) | (random.nextBoolean() ? PackedRing.F_WRITE : 0);
            long addr = DATA + 16L * random.nextInt(0x1000);
            int len = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(64);
            if (random.nextInt(8) == 0) {
                flags = PackedRing.F_INDIRECT | (random.nextInt(6) == 0 ? PackedRing.F_NEXT : 0);
                addr = TABLES + 16L * random.nextInt(4);
                len = 16 * (1 + random.nextInt(4));
            }
            if (random.nextInt(10) != 0) flags = withLap(flags, lap);
            m.writeLe64(ring.desc(slot), addr);
            m.writeLe32(ring.descLen(slot), len);
            m.writeLe16(ring.descId(slot), (short) (random.nextInt(10) == 0 ? random.nextInt() : random.nextInt(q)));
            m.writeLe16(ring.descFlags(slot), (short) flags);
        }
        for (int i = 0; i < 8; i++) {
            int flags = random.nextInt(12) == 0 ? random.nextInt(8) : random.nextInt(2) * PackedRing.F_WRITE;
            putSplit(m, TABLES + 16L * i, DATA + 16L * random.nextInt(0x1000), 1 + random.nextInt(64), flags, 0);
        }
    }

    /** {@code flags} with AVAIL and USED saying "available in the lap with wrap value {@code lap}". */
    static int withLap(int flags, boolean lap) {
        return (flags & ~(PackedRing.F_AVAIL | PackedRing.F_USED)) | (lap ? PackedRing.F_AVAIL : PackedRing.F_USED);
    }

    private static void putSplit(GuestMemory m, long at, long addr, int len, int flags, int next) {
        m.writeLe64(at, addr);
        m.writeLe32(at + 8, len);
        m.writeLe16(at + 12, (short) flags);
        m.writeLe16(at + 14, (short) next);
    }
}
