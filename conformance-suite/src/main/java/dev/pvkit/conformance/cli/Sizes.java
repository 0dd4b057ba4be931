package dev.pvkit.conformance.cli;

import dev.pvkit.conformance.certify.DurationText;
import picocli.CommandLine;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the human sizes and durations the CLI accepts: {@code 256M}, {@code 4G}, {@code 4096}; {@code 5s},
 * {@code 500ms}. {@link ByteSize} and {@link Time} are the picocli converters options declare, so a bad value is a
 * usage error picocli reports with the option's name.
 */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {
    }

    /** {@code --size 256M}: bytes. */
    static final class ByteSize implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return bytes(value);
            } catch (UserError e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --timeout 300s}: a duration. */
    static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return duration(value);
            } catch (UserError e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) throw new UserError("'" + text + "' is not a size (examples: 4096, 256M, 4G)");
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) throw new UserError("size '" + text + "' is too large");
        return n << shift;
    }

    /** {@code 64 MiB}, {@code 1.5 GiB}, {@code 4096 bytes}: for messages. */
    static String human(long bytes) {
        if (bytes < 1 << 20) return bytes % 1024 == 0 && bytes > 0 ? (bytes >> 10) + " KiB" : bytes + " bytes";
        if (bytes < 1L << 30) return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
        return bytes % (1L << 30) == 0 ? (bytes >> 30) + " GiB" : String.format(Locale.ROOT, "%.1f GiB", bytes / 1073741824.0);
    }

    /** {@code 5s}, {@code 500ms}, {@code 2m}, {@code 64us}: a duration as the options take it, for messages. */
    static String human(Duration d) {
        if (d.toNanos() % 1_000_000 != 0) return d.toNanos() / 1000 + "us";
        if (d.toMillis() % 1000 != 0) return d.toMillis() + "ms";
        return d.toSeconds() % 60 == 0 && d.toSeconds() > 0 ? d.toMinutes() + "m" : d.toSeconds() + "s";
    }

    static Duration duration(String text) {
        try {
            return DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
