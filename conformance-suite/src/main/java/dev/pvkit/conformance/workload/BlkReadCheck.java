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
 * The read-only data check, for a disk whose content belongs to the user: the guest reads ranges through its own
 * driver and each SHA-256 must equal the host's hash of the same bytes of the backing store. Nothing is written.
 * The ranges: the first and the last 64 KiB (or the whole disk, if smaller) and {@code count} random ones of 512 B
 * to 64 KiB, all 512-byte aligned.
 */
public final class BlkReadCheck {
    static final int MAX_RANGE = 64 * 1024;
    static final int SECTOR = 512;

    /** One range and its verdict. */
    public record Read(long offset, int length, String guestSha256, String hostSha256) {
        public boolean matches() {
            return guestSha256.equals(hostSha256);
        }
    }

    public record Result(List<Read> reads) {
        public boolean passed() {
            return !reads.isEmpty() && reads.stream().allMatch(Read::matches);
        }

        public String summary() {
            long ok = reads.stream().filter(Read::matches).count();
            return reads.size() + " reads (the first and last 64 KiB, random ranges) compared with the host's hash of the "
                    + "same bytes, nothing written: " + ok + "/" + reads.size() + " match";
        }
    }

    private BlkReadCheck() {
    }

    /** Reads from {@code device} (e.g. "vda") of {@code capacity} bytes; {@code backing} holds the same bytes. */
    public static Result run(GuestAgent agent, String device, long capacity, BlockStore backing, int count, long seed) {
        long sectors = capacity / SECTOR;
        if (sectors < 1) throw new IllegalArgumentException("disk smaller than one sector");
        List<long[]> plan = new ArrayList<>();
        int edge = (int) Math.min(MAX_RANGE, sectors * SECTOR);
        plan.add(new long[]{0, edge});
        plan.add(new long[]{sectors * SECTOR - edge, edge});
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            long len = Math.min(sectors, 1 + random.nextInt(MAX_RANGE / SECTOR)) * SECTOR;
            long start = random.nextLong(sectors - len / SECTOR + 1) * SECTOR;
            plan.add(new long[]{start, len});
        }
        List<Read> reads = new ArrayList<>();
        for (long[] p : plan) {
            String guest = agent.read(device, p[0], p[1]);
            reads.add(new Read(p[0], (int) p[1], guest, hostSha256(backing, p[0], (int) p[1])));
        }
        return new Result(reads);
    }

    private static String hostSha256(BlockStore backing, long offset, int length) {
        ByteBuffer b = ByteBuffer.allocate(length);
        try {
            backing.read(offset, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return PatternGenerator.sha256Hex(b.array());
    }
}
