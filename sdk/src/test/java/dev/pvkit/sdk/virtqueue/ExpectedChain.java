package dev.pvkit.sdk.virtqueue;

import dev.pvkit.sdk.memory.GuestMemory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One chain as a test oracle works it out from the raw ring bytes, without the queue's code: its buffers, the
 * rules it broke and whether the policy tolerates them, its id and how many ring slots it spans. Used by
 * {@link SplitOracle} and {@link PackedOracle}.
 */
final class ExpectedChain {
    final ValidationPolicy policy;
    final List<Segment> readable = new ArrayList<>();
    final List<Segment> writable = new ArrayList<>();
    /** Rules broken and tolerated by the policy. */
    final Set<ChainRule> tolerated = EnumSet.noneOf(ChainRule.class);
    /** Rules broken, not tolerated, at the descriptor where the walk stopped: the queue must report one of them. */
    final Set<ChainRule> fatal = EnumSet.noneOf(ChainRule.class);
    int id = -1;
    int slots = 1;
    /** The walk read bytes the device itself writes (its used area): the queue may have seen other values. */
    boolean uncertain;
    private long total;
    private boolean writableSeen;

    ExpectedChain(ValidationPolicy policy) {
        this.policy = policy;
    }

    boolean valid() {
        return fatal.isEmpty();
    }

    /** Sorts the rules one descriptor broke into tolerated and fatal; false when the walk stops here. */
    boolean judge(Set<ChainRule> broken) {
        for (ChainRule r : broken) {
            if (r.tolerable() && policy.reaction(r) == Reaction.TOLERATE) tolerated.add(r);
            else fatal.add(r);
        }
        return fatal.isEmpty();
    }

    /** A rule broken where no policy may tolerate it (a hard limit): the walk stops. */
    ExpectedChain stop(ChainRule rule) {
        fatal.add(rule);
        return this;
    }

    /** The rules a buffer breaks: inside guest memory (its address, even when empty), length total, direction order. */
    Set<ChainRule> bufferRules(GuestMemory m, long addr, long len, boolean deviceWritable, long maxTotal) {
        Set<ChainRule> broken = EnumSet.noneOf(ChainRule.class);
        if (!m.contains(addr, len)) broken.add(ChainRule.BUFFER_OUTSIDE_MEMORY);
        if (total + len > maxTotal) broken.add(ChainRule.TOTAL_LENGTH_OVERFLOW);
        if (!deviceWritable && writableSeen) broken.add(ChainRule.READABLE_AFTER_WRITABLE);
        return broken;
    }

    void add(long addr, long len, boolean deviceWritable) {
        total += len;
        if (deviceWritable) writableSeen = true;
        (deviceWritable ? writable : readable).add(new Segment(addr, (int) len));
    }

    /**
     * How the queue reacts to this rejected chain under the policy (a TOLERATE answer to a rule that cannot be
     * tolerated here means SKIP), or null when the fatal rules would get different reactions.
     */
    Reaction reaction() {
        Set<Reaction> r = EnumSet.noneOf(Reaction.class);
        for (ChainRule rule : fatal) r.add(policy.reaction(rule) == Reaction.TOLERATE ? Reaction.SKIP : policy.reaction(rule));
        return r.size() == 1 ? r.iterator().next() : null;
    }

    @Override
    public String toString() {
        return "expected[id=" + id + ", slots=" + slots + ", readable=" + readable + ", writable=" + writable
                + ", tolerated=" + tolerated + ", fatal=" + fatal + "]";
    }
}
