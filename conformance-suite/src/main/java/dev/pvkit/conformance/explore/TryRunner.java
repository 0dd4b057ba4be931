package dev.pvkit.conformance.explore;

/** Runs one case against the driver under test and judges it with every oracle. */
@FunctionalInterface
public interface TryRunner<T> {
    TryOutcome run(T testCase) throws InterruptedException;
}
