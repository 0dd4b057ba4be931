package dev.pvkit.conformance.explore;

/**
 * How one try ended.
 *
 * @param failed whether an oracle failed it
 * @param kind   which oracle, and what it saw, in a word a shrink can compare: a requirement id, {@code hang},
 *               {@code data}, {@code reaction}, {@code driver-error}; empty when the try passed
 * @param detail what happened, for a person
 */
public record TryOutcome(boolean failed, String kind, String detail) {
    public static TryOutcome passed() {
        return new TryOutcome(false, "", "");
    }

    public static TryOutcome failed(String kind, String detail) {
        return new TryOutcome(true, kind, detail);
    }

    @Override
    public String toString() {
        return failed ? kind + ": " + detail : "passed";
    }
}
