package dev.pvkit.conformance.workload;

import dev.pvkit.backends.blk.BlockStore;
import dev.pvkit.conformance.guest.GuestAgent;
import dev.pvkit.conformance.guest.PatternGenerator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The basic data check of a block device through a guest's own driver: seeded patterns written at random,
 * non-overlapping offsets through the guest agent, a flush, a read-back whose hashes must match the patterns, and
 * the backing store compared byte for byte with what was written.
 */
public final class BlkPatternCheck {

    /** One write and its verdicts. */
    public record Write(long offset, int length, long seed, boolean guestHashMatches, boolean backingMatches) {
    }

    public record Result(List<Write> writes) {
        public boolean passed() {
            return writes.stream().allMatch(w -> w.guestHashMatches() && w.backingMatches());
        }

        public String summary() {
            long ok = writes.stream().filter(w -> w.guestHashMatches() && w.backingMatches()).count();
            return writes.size() + " seeded writes (" + minLength() + ".." + maxLength() + " bytes) at random offsets, flush, "
                    + "read back: " + ok + "/" + writes.size() + " hashes and backing bytes match";
        }

        private int minLength() {
            return writes.stream().mapToInt(Write::length).min().orElse(0);
        }

        private int maxLength() {
            return writes.stream().mapToInt(Write::length).max().orElse(0);
        }
    }

    private BlkPatternCheck() {
    }

    /**
     * Writes {@code count} patterns into {@code device} (e.g. "vda") of {@code capacity} bytes, in 4 KiB-aligned
     * slots, and checks them; {@code backing} is the store behind the device (read after the guest's flush).
     */
    public static Result run(GuestAgent agent, String device, long capacity, BlockStore backing, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long slot = 64 * 1024;
        long slots = capacity / slot;
        if (slots < count) throw new IllegalArgumentException("device too small for " + count + " writes of up to 64 KiB");
        List<Long> taken = new ArrayList<>();
        List<long[]> plan = new ArrayList<>();
        while (plan.size() < count) {
            long s = random.nextLong(slots);
            if (taken.contains(s)) continue;
            taken.add(s);
            int length = 512 * (1 + random.nextInt(128));               // 512 B .. 64 KiB
            plan.add(new long[]{s * slot, length, random.nextLong(1L << 32)}); // agent seeds are 32-bit
        }
        for (long[] p : plan) agent.write(device, p[0], p[1], p[2]);
        agent.flush(device);
        List<Write> writes = new ArrayList<>();
        for (long[] p : plan) {
            String guestHash = agent.read(device, p[0], p[1]);
            boolean guestOk = guestHash.equals(PatternGenerator.sha256(p[2], (int) p[1]));
            writes.add(new Write(p[0], (int) p[1], p[2], guestOk, backingMatches(backing, p[0], (int) p[1], p[2])));
        }
        return new Result(writes);
    }

    private static boolean backingMatches(BlockStore backing, long offset, int length, long seed) {
        ByteBuffer b = ByteBuffer.allocate(length);
        try {
            backing.read(offset, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return java.util.Arrays.equals(b.array(), PatternGenerator.bytes(seed, length));
    }
}
