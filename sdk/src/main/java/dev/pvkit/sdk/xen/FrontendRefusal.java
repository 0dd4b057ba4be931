package dev.pvkit.sdk.xen;

/**
 * A front-end key a back-end cannot connect with, and the requirement the front-end broke by writing it; null when
 * the key is legal but beyond what this back-end supports (no driver is judged for that).
 */
public final class FrontendRefusal extends RuntimeException {
    private final String requirement;

    public FrontendRefusal(String requirement, String message) {
        super(message);
        this.requirement = requirement;
    }

    public String requirement() {
        return requirement;
    }
}
