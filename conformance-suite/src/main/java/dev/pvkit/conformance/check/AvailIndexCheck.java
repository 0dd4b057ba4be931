package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtqueue.ChainRule;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The split available index: it never decreases [DRV-SPLIT-020] and never runs more than Q entries ahead of the
 * used index [DRV-SPLIT-022].
 *
 * <p>What the device sees is one 16-bit value per read, so a step back by d looks exactly like a jump forward by
 * 2^16 - d, and the device refuses both the same way ({@link ChainRule#AVAIL_INDEX_JUMP}: more than Q entries past
 * its own position). The split between the two rules: a legal step moves the index forward by at most Q (the driver
 * cannot have more than Q entries outstanding), so a step of more than Q is read the shorter way round the 16-bit
 * circle. A step of 2^15 or more (negative as a signed 16-bit difference) is a decrease and breaks DRV-SPLIT-020,
 * whether or not the device then also refused its position; a step of more than Q but less than 2^15 is a jump
 * ahead, and the device's refusal of it breaks DRV-SPLIT-022. Each wrong index so fails exactly one of the two.
 * Successive reads of one location by one reader are coherent, so a correct driver's index is never seen to go
 * back; the device re-reads the index from its own base when a ring restarts, so each step is the SDK's.
 */
public final class AvailIndexCheck implements Check {
    public static final String NEVER_DECREASES = "DRV-SPLIT-020";
    public static final String AT_MOST_Q_AHEAD = "DRV-SPLIT-022";

    @Override
    public Set<String> decides() {
        return Set.of(NEVER_DECREASES, AT_MOST_Q_AHEAD);
    }

    @Override
    public String name() {
        return "split available index";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        if (format.isEmpty() || format.get().packed()) return; // packed positions are not an index
        Map<Integer, Integer> sizes = new HashMap<>();
        Map<Integer, RingEvent.AvailMoved> lastMove = new HashMap<>();
        for (Event e : session.events()) {
            if (e instanceof VhostUserEvent.QueueStarted s) {
                sizes.put(s.queue(), s.size());
                lastMove.remove(s.queue());
            } else if (e instanceof RingEvent.AvailMoved m) {
                Integer q = sizes.get(m.queue());
                if (q == null || q < 1) continue;
                lastMove.put(m.queue(), m);
                int step = step(m);
                if (step <= q) {
                    findings.kept(NEVER_DECREASES, m);
                    findings.kept(AT_MOST_Q_AHEAD, m);
                } else if (backwards(step)) {
                    findings.broke(NEVER_DECREASES, m.queue(), m, String.format(
                            "queue %d: the driver moved avail.idx back from %d to %d (back by %d; as a forward step %d mod 2^16, more than "
                                    + "the queue size %d allows); the rule asks that it only grow (modulo 2^16)",
                            m.queue(), m.previous(), m.current(), 0x10000 - step, step, q));
                }
            } else if (e instanceof RingEvent.ChainRefused r && r.rule() == ChainRule.AVAIL_INDEX_JUMP) {
                RingEvent.AvailMoved m = lastMove.get(r.queue());
                if (m != null && step(m) > sizes.getOrDefault(r.queue(), 0) && backwards(step(m))) continue; // a step back: DRV-SPLIT-020
                List<Event> shown = m != null ? List.of(m, r) : List.of(r);
                findings.broke(AT_MOST_Q_AHEAD, r.queue(), shown, String.format(
                        "queue %d: the driver moved avail.idx %s, more than the queue size %s entries past the device's position (%s); "
                                + "the rule asks that avail.idx stay at most Q ahead of used.idx",
                        r.queue(), m != null ? "from " + m.previous() + " to " + m.current() : "ahead",
                        sizes.containsKey(r.queue()) ? String.valueOf(sizes.get(r.queue())) : "Q", r.detail()));
            }
        }
    }

    /** The step from the previous read to this one, forward modulo 2^16. */
    private static int step(RingEvent.AvailMoved m) {
        return (m.current() - m.previous()) & 0xffff;
    }

    private static boolean backwards(int step) {
        return step >= 0x8000;
    }
}
