package dev.pvkit.sdk.xen;

import java.util.Optional;

/** The state each end keeps in its {@code state} node, as a decimal string (spec group {@code xen.xenbus_state}). */
public enum XenbusState {
    UNKNOWN, INITIALISING, INIT_WAIT, INITIALISED, CONNECTED, CLOSING, CLOSED, RECONFIGURING, RECONFIGURED;

    public int code() {
        return ordinal();
    }

    /** The node's text as a state; empty for anything that is not a decimal number 0–8 (a hostile end writes anything). */
    public static Optional<XenbusState> parse(String text) {
        if (text == null) return Optional.empty();
        String t = text.trim();
        if (t.length() != 1 || t.charAt(0) < '0' || t.charAt(0) > '8') return Optional.empty();
        return Optional.of(values()[t.charAt(0) - '0']);
    }

    /** The state a node's text means: an absent or unreadable node is {@link #UNKNOWN} (spec §9.8). */
    public static XenbusState of(Optional<String> node) {
        return node.flatMap(XenbusState::parse).orElse(UNKNOWN);
    }

    public String text() {
        return Integer.toString(code());
    }
}
