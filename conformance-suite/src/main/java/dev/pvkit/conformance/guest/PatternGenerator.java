package dev.pvkit.conformance.guest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The data the agent's {@code WRITE} produces (spec Appendix B.4), so the host can predict it byte for byte:
 * xorshift32 with shifts 13, 17, 5 started from the seed (a seed of 0 starts from 0x6d2b79f5, since xorshift
 * never leaves 0); every step's new state is emitted as 4 little-endian bytes; the stream is cut at the length.
 * The stream starts afresh at each WRITE's offset, whatever the offset.
 */
public final class PatternGenerator {
    public static final int ZERO_SEED_STATE = 0x6d2b79f5;

    private PatternGenerator() {
    }

    public static byte[] bytes(long seed, int length) {
        byte[] b = new byte[length];
        fill(seed, b, 0, length);
        return b;
    }

    /** Writes the first {@code length} pattern bytes for {@code seed} into {@code dst} at {@code offset}. */
    public static void fill(long seed, byte[] dst, int offset, int length) {
        checkSeed(seed);
        int x = (int) seed == 0 ? ZERO_SEED_STATE : (int) seed;
        for (int i = 0; i < length; ) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            for (int k = 0; k < 4 && i < length; k++, i++) dst[offset + i] = (byte) (x >>> (8 * k));
        }
    }

    /** The hex SHA-256 of the pattern, as the agent's READ would report it after a WRITE of the same range. */
    public static String sha256(long seed, int length) {
        return sha256Hex(bytes(seed, length));
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void checkSeed(long seed) {
        if (seed < 0 || seed > 0xffff_ffffL) throw new IllegalArgumentException("seed must be 0..4294967295: " + seed);
    }
}
