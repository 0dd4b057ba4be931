package dev.pvkit.backends.xennet;

/** What netback did with each packet, for monitors and conformance checks. Calls come from ring threads. */
public interface XenNetListener {
    XenNetListener NONE = new XenNetListener() {
    };

    /**
     * A transmitted packet of {@code slots} ring slots ({@code extras} of them extra-info) and {@code size} bytes was
     * forwarded, or refused for the rule {@code refused}.
     */
    default void transmitted(int queue, int slots, int extras, int size, boolean gso, String refused) {
    }

    /** A frame of {@code size} bytes was delivered in {@code slots} receive slots, or dropped for want of buffers. */
    default void received(int queue, int size, int slots, boolean dropped) {
    }
}
