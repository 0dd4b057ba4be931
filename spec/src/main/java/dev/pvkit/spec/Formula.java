package dev.pvkit.spec;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte count or offset that may grow with the queue size Q: {@code constant + perQ * Q}. Ring layouts need
 * no more than this (e.g. the split available ring is {@code 6 + 2*Q} bytes).
 */
public record Formula(long constant, long perQ) {

    private static final Pattern TERM = Pattern.compile("(?:(\\d+)\\s*\\*\\s*)?Q|(\\d+)");

    public static Formula of(long constant) {
        return new Formula(constant, 0);
    }

    /** Parses "12", "Q", "8*Q", "6 + 2*Q", "4 + 8*Q + 2" ; throws {@link IllegalArgumentException} otherwise. */
    public static Formula parse(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("empty formula");
        long c = 0;
        long q = 0;
        for (String raw : text.split("\\+", -1)) {
            String term = raw.trim();
            Matcher m = TERM.matcher(term);
            if (!m.matches()) {
                throw new IllegalArgumentException("'" + text + "' is not a sum of integers and multiples of Q");
            }
            try {
                if (m.group(2) != null) {
                    c = Math.addExact(c, Long.parseLong(m.group(2)));
                } else {
                    q = Math.addExact(q, m.group(1) == null ? 1 : Long.parseLong(m.group(1)));
                }
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("'" + text + "' overflows a 64-bit count", e);
            }
        }
        return new Formula(c, q);
    }

    /** Value for a queue of {@code queueSize} entries. */
    public long at(long queueSize) {
        return Math.addExact(constant, Math.multiplyExact(perQ, queueSize));
    }

    public boolean isConstant() {
        return perQ == 0;
    }

    public Formula plus(Formula other) {
        return new Formula(Math.addExact(constant, other.constant), Math.addExact(perQ, other.perQ));
    }

    @Override
    public String toString() {
        if (perQ == 0) return Long.toString(constant);
        String q = perQ == 1 ? "Q" : perQ + "*Q";
        return constant == 0 ? q : constant + " + " + q;
    }
}
