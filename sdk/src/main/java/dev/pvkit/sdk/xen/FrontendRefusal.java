package dev.pvkit.sdk.xen;

/** A front-end key a back-end cannot connect with, and the requirement the front-end broke by writing it. */
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
