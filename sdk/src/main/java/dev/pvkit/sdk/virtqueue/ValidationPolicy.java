package dev.pvkit.sdk.virtqueue;

import java.util.EnumMap;
import java.util.Map;

/**
 * How a queue reacts to each {@link ChainRule}, and the hard bound on chain length that keeps even a tolerant
 * walk finite. Immutable; {@code with…} returns a changed copy.
 */
public final class ValidationPolicy {

    /** Longest chain ever walked, tolerant or not: enough for the drivers known to post 515-descriptor chains. */
    public static final int DEFAULT_HARD_CHAIN_LIMIT = 1024;

    private final Map<ChainRule, Reaction> reactions;
    private final int hardChainLimit;

    private ValidationPolicy(Map<ChainRule, Reaction> reactions, int hardChainLimit) {
        this.reactions = reactions;
        this.hardChainLimit = hardChainLimit;
    }

    /** Every violation stops the queue: the conformance default and the spec's device behaviour. */
    public static ValidationPolicy strict() {
        return uniform(Reaction.NEEDS_RESET);
    }

    /** Every violation is reported and the chain skipped; the queue keeps running. */
    public static ValidationPolicy skipInvalid() {
        return uniform(Reaction.SKIP);
    }

    /**
     * A production policy for drivers in the field: tolerable rules are served and reported, the rest skipped.
     */
    public static ValidationPolicy tolerant() {
        ValidationPolicy p = skipInvalid();
        for (ChainRule r : ChainRule.values()) {
            if (r.tolerable()) p = p.with(r, Reaction.TOLERATE);
        }
        return p;
    }

    private static ValidationPolicy uniform(Reaction reaction) {
        Map<ChainRule, Reaction> m = new EnumMap<>(ChainRule.class);
        for (ChainRule r : ChainRule.values()) m.put(r, reaction);
        return new ValidationPolicy(m, DEFAULT_HARD_CHAIN_LIMIT);
    }

    /** This policy with {@code rule} answered by {@code reaction}; TOLERATE only for tolerable rules. */
    public ValidationPolicy with(ChainRule rule, Reaction reaction) {
        if (reaction == Reaction.TOLERATE && !rule.tolerable()) {
            throw new IllegalArgumentException(rule + " cannot be tolerated: serving such a chain is unsafe");
        }
        Map<ChainRule, Reaction> m = new EnumMap<>(reactions);
        m.put(rule, reaction);
        return new ValidationPolicy(m, hardChainLimit);
    }

    /** This policy with a different hard chain limit (1..65536). */
    public ValidationPolicy withHardChainLimit(int limit) {
        if (limit < 1 || limit > 65536) throw new IllegalArgumentException("hard chain limit must be 1..65536, got " + limit);
        return new ValidationPolicy(reactions, limit);
    }

    public Reaction reaction(ChainRule rule) {
        return reactions.get(rule);
    }

    public int hardChainLimit() {
        return hardChainLimit;
    }
}
