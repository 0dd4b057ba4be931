package dev.pvkit.sdk.memory;

/**
 * Told of every access attempt that falls outside the memory map, just before {@link GuestMemoryException} is
 * thrown. Tests install one that fails the test: correct code validates guest addresses with
 * {@link GuestMemory#contains} and never attempts such an access.
 */
@FunctionalInterface
public interface AccessGuard {
    void outOfRange(long address, long length, boolean write);

    AccessGuard NONE = (a, l, w) -> { };
}
