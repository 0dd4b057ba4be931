package dev.pvkit.sdk.memory;

import java.lang.reflect.Field;
import java.nio.ByteOrder;

/**
 * Loads and stores of 1 to 8 bytes at absolute native addresses, for ring words in guest memory whose range the caller
 * has already checked. A direct buffer's accessors check the index again and look up the buffer's memory session on
 * every access; on the ring path (a dozen words per request) that showed as a tenth of the device's time. Only on a
 * little-endian machine, where a native word is the ring's little-endian word; elsewhere {@link #AVAILABLE} is false
 * and callers use their buffer.
 */
final class NativeWords {
    private static final sun.misc.Unsafe U = unsafe();
    /** Whether these accessors may be used here. */
    static final boolean AVAILABLE = U != null;

    private NativeWords() {
    }

    private static sun.misc.Unsafe unsafe() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN || Boolean.getBoolean("pvkit.memory.noNativeWords")) return null;
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    static byte get8(long address) {
        return U.getByte(address);
    }

    static void put8(long address, byte value) {
        U.putByte(address, value);
    }

    static short get16(long address) {
        return U.getShort(address);
    }

    static void put16(long address, short value) {
        U.putShort(address, value);
    }

    static int get32(long address) {
        return U.getInt(address);
    }

    static void put32(long address, int value) {
        U.putInt(address, value);
    }

    static long get64(long address) {
        return U.getLong(address);
    }

    static void put64(long address, long value) {
        U.putLong(address, value);
    }
}
