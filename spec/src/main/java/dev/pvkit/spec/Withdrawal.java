package dev.pvkit.spec;

import java.util.List;

/**
 * How and when a requirement stopped binding anyone. A withdrawn requirement stays in the catalog under its id
 * (§3.2 of the text), so a report that cites it can still be read.
 *
 * @param in         the specification version that withdrew it
 * @param reason     why, in one line
 * @param replacedBy ids of the requirements that now carry its rule, empty when none does
 */
public record Withdrawal(SpecVersion in, String reason, List<String> replacedBy) {
    public Withdrawal {
        replacedBy = List.copyOf(replacedBy);
    }
}
