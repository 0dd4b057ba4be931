package dev.pvkit.sdk.memory;

/** Told of every write this process makes into guest memory (dirty-page logging for live migration). */
@FunctionalInterface
public interface WriteObserver {
    void written(long guestPhysical, long length);

    WriteObserver NONE = (a, l) -> { };
}
