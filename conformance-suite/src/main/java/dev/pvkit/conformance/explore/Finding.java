package dev.pvkit.conformance.explore;

/**
 * A case that broke the driver, and the smallest one found that still breaks it the same way.
 *
 * @param tryNumber   the try (1-based) that failed first
 * @param original    the case as generated
 * @param failure     how the original failed
 * @param minimal     the shrunk case
 * @param outcome     how the minimal case fails (the same kind as {@code failure})
 * @param shrinkSteps accepted shrinks from original to minimal
 * @param shrinkTries cases run while shrinking, and while stepping back from a minimal case that never failed again
 * @param reproduced  of the {@code confirmations} runs of the minimal case after shrinking, how many failed the same way:
 *                    all of them for a deterministic failure, fewer for one that depends on timing (a race)
 * @param confirmations runs of the minimal case after shrinking
 */
public record Finding<T>(int tryNumber, T original, TryOutcome failure, T minimal, TryOutcome outcome, int shrinkSteps,
                         int shrinkTries, int reproduced, int confirmations) {
    /** Whether the minimal case failed the same way every time it was run again (and it was run again at all). */
    public boolean deterministic() {
        return confirmations > 0 && reproduced == confirmations;
    }
}
