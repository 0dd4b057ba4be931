package dev.pvkit.sdk.testkit;

import java.util.Arrays;

/**
 * One chain the device gave back, as the driver reaped it.
 *
 * @param queue    the queue it was posted on
 * @param id       the id its used entry carried (split: head descriptor; packed: buffer id)
 * @param written  the length the device reported written
 * @param writable the chain's writable buffers after completion, concatenated in chain order: all of them, also
 *                 the bytes beyond {@code written} (still {@link DeviceHarness#UNWRITTEN} where the device left
 *                 them); empty for a {@linkplain DeviceHarness#post(int, java.util.List, java.util.List, boolean)
 *                 raw} chain whose writable buffers are not all inside guest memory
 */
public record Completion(int queue, int id, long written, byte[] writable) {

    /** The first {@link #written} bytes of {@link #writable}: what the device says it wrote. */
    public byte[] writtenBytes() {
        return Arrays.copyOf(writable, (int) Math.min(written, writable.length));
    }

    @Override
    public String toString() {
        return "Completion[queue=" + queue + ", id=" + id + ", written=" + written + ", writable=" + writable.length + " bytes]";
    }
}
