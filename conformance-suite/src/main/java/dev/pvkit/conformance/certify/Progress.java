package dev.pvkit.conformance.certify;

/** Where a certification run says what it is doing, one step at a time (the CLI prints it; the Maven plugin logs it). */
@FunctionalInterface
public interface Progress {
    void step(String line);

    Progress NONE = line -> {
    };
}
