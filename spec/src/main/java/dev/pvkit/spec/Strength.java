package dev.pvkit.spec;

import java.util.Arrays;
import java.util.Optional;

/** The RFC 2119 keyword of a requirement. */
public enum Strength {
    MUST("MUST"),
    MUST_NOT("MUST NOT"),
    SHOULD("SHOULD"),
    SHOULD_NOT("SHOULD NOT"),
    MAY("MAY");

    private final String keyword;

    Strength(String keyword) {
        this.keyword = keyword;
    }

    /** The keyword as written in statements, e.g. {@code MUST NOT}. */
    public String keyword() {
        return keyword;
    }

    /** A violation of a MUST or MUST NOT is a failure; of a SHOULD or SHOULD NOT a warning; MAY is never violated. */
    public boolean isMandatory() {
        return this == MUST || this == MUST_NOT;
    }

    public static Optional<Strength> fromKeyword(String keyword) {
        return Arrays.stream(values()).filter(s -> s.keyword.equals(keyword)).findFirst();
    }

    @Override
    public String toString() {
        return keyword;
    }
}
