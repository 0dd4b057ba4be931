package dev.pvkit.sdk.memory;

/**
 * An access to guest memory that the memory map does not cover. Code that handles guest-controlled addresses
 * checks {@link GuestMemory#contains} first; this exception is the last line of defence, never a control path.
 */
public final class GuestMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long address;
    private final long length;

    public GuestMemoryException(long address, long length, String why) {
        super(String.format("guest memory access 0x%x+%d: %s", address, length, why));
        this.address = address;
        this.length = length;
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }
}
