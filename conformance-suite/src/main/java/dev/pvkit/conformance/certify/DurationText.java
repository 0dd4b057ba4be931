package dev.pvkit.conformance.certify;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as users write them to the CLI and the Maven plugin: {@code 5s}, {@code 500ms}, {@code 8m}, {@code 64us}; a bare number is seconds. */
public final class DurationText {
    private static final Pattern TIME = Pattern.compile("(\\d+)(us|ms|s|m)?");

    private DurationText() {
    }

    /** @throws IllegalArgumentException with one line saying what a duration looks like */
    public static Duration parse(String text) {
        Matcher m = TIME.matcher(text.trim());
        if (!m.matches()) throw new IllegalArgumentException("'" + text + "' is not a duration (examples: 5s, 500ms, 1m, 64us)");
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
        String unit = m.group(2) == null ? "s" : m.group(2);
        try {
            return switch (unit) {
                case "us" -> Duration.ofNanos(Math.multiplyExact(n, 1000L));
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("duration '" + text + "' is too large");
        }
    }
}
