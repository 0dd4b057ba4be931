package dev.pvkit.maven;

import dev.pvkit.conformance.certify.DurationText;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Turns the plugin's text parameters into PVKit's values, with one line naming the parameter when one is wrong. */
final class Parameters {
    private Parameters() {
    }

    /** A term as the POM spells it: {@code tries} is {@code <tries>} (and {@code -Dpvkit.tries}). */
    static String name(String term) {
        String camel = switch (term) {
            case "time-budget" -> "timeBudget";
            case "fail-on" -> "failOn";
            case "qemu-template" -> "qemuTemplate";
            default -> term;
        };
        return "<" + camel + "> (pvkit." + camel + ")";
    }

    static Duration duration(String term, String text) {
        try {
            return DurationText.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name(term) + ": " + e.getMessage());
        }
    }

    /** An enum constant by its name in any case ({@code tcg}, {@code TCG}). */
    static <E extends Enum<E>> E choice(String term, String text, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(text.trim())) return e;
        }
        String known = Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        throw new IllegalArgumentException(name(term) + ": '" + text + "' is not one of " + known);
    }
}
