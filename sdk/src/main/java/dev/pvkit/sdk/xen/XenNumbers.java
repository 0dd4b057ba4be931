package dev.pvkit.sdk.xen;

import java.util.OptionalLong;

/** Numbers in XenStore nodes: decimal strings on both sides (spec §9.4, DRV-XEN-007, DEV-XEN-010). */
public final class XenNumbers {
    private XenNumbers() {
    }

    /**
     * The value of a node that must hold an unsigned decimal number no larger than {@code max}: empty for anything
     * else (hex, a sign, spaces, an empty string, an overflow), which a back-end treats as a broken front-end.
     */
    public static OptionalLong unsigned(String text, long max) {
        if (text == null || text.isEmpty() || text.length() > 20) return OptionalLong.empty();
        long v = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') return OptionalLong.empty();
            if (v > (max - (c - '0')) / 10) return OptionalLong.empty();
            v = v * 10 + (c - '0');
        }
        return OptionalLong.of(v);
    }

    /** An unsigned 32-bit node (grant references, ports, orders, counts). */
    public static OptionalLong u32(String text) {
        return unsigned(text, 0xFFFF_FFFFL);
    }
}
