package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The driver's ring wrap counter in a packed ring, as the AVAIL and USED bits it writes show it: the counter starts
 * at 1 [DRV-PACKED-019] and flips right after slot Q-1 [DRV-PACKED-020]; an available descriptor carries AVAIL = the
 * counter [DRV-PACKED-021] and USED = its inverse [DRV-PACKED-022].
 *
 * <p>The device reports the slot at its next available position when it is not available and holds flags no driver
 * keeping its counter could leave there ({@link RingEvent.UnexpectedSlotFlags}). Which rule they break:
 * <ul>
 * <li>AVAIL and USED both equal to the lap's wrap value: the device writes used descriptors only behind its
 *     available position, and every older value in that slot has the other AVAIL bit, so the driver wrote USED equal
 *     to its counter: DRV-PACKED-022.</li>
 * <li>Marked available for the previous lap, over the device's own used descriptor of that lap: the driver rewrote
 *     the slot in a new lap without flipping its counter: DRV-PACKED-020.</li>
 * <li>In the first lap after the queue started, with the ring zeroed at start ({@link RingEvent.PackedRingAtStart}
 *     with no strange slot), any non-zero flags the driver wrote after enabling: AVAIL 0 / USED 0 is a wrong AVAIL
 *     bit (DRV-PACKED-021); AVAIL 0 / USED 1 is a counter of 0 — at slot 0, where the first list goes, a counter
 *     that started at 0 (DRV-PACKED-019); at a later slot, one flipped before slot Q-1 (DRV-PACKED-020).</li>
 * </ul>
 * A ring not zeroed at start is DRV-PACKED-036's, and first-lap findings are then not judged; nor are they after the
 * queue was built again at the initial position (a restart or a new memory map may hand the device an older lap).
 * Kept: DRV-PACKED-021/022 by every list the device took; DRV-PACKED-019 by the first list taken after a zeroed
 * start; DRV-PACKED-020 by a list taken in a lap with wrap value 0.
 */
public final class PackedWrapCheck implements Check {
    public static final String STARTS_AT_ONE = "DRV-PACKED-019";
    public static final String FLIPS_AFTER_LAST_SLOT = "DRV-PACKED-020";
    public static final String AVAIL_IS_COUNTER = "DRV-PACKED-021";
    public static final String USED_IS_INVERSE = "DRV-PACKED-022";

    @Override
    public Set<String> decides() {
        return Set.of(STARTS_AT_ONE, FLIPS_AFTER_LAST_SLOT, AVAIL_IS_COUNTER, USED_IS_INVERSE);
    }

    @Override
    public String name() {
        return "packed wrap counter";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        if (format.isEmpty() || !format.get().packed()) return;
        Set<Integer> started = new HashSet<>();
        Map<Integer, Boolean> cleanStart = new HashMap<>(); // queue -> zeroed at its first start; absent: unknown
        Set<Integer> firstListPending = new HashSet<>();
        for (Event e : session.events()) {
            if (e instanceof VhostUserEvent.QueueStarted s) {
                started.add(s.queue());
            } else if (e instanceof RingEvent.PackedRingAtStart a) {
                if (started.contains(a.queue()) || cleanStart.containsKey(a.queue())) {
                    cleanStart.put(a.queue(), false); // built again at the initial position: first-lap views no longer sound
                    firstListPending.remove(a.queue());
                } else {
                    cleanStart.put(a.queue(), a.strangeSlots() == 0);
                    if (a.strangeSlots() == 0) firstListPending.add(a.queue());
                }
            } else if (e instanceof RingEvent.ChainSeen c) {
                findings.kept(AVAIL_IS_COUNTER, c);
                findings.kept(USED_IS_INVERSE, c);
                if (firstListPending.remove(c.queue())) findings.kept(STARTS_AT_ONE, c);
            } else if (e instanceof RingEvent.AvailMoved m) {
                if ((m.previous() & 0x8000) == 0) findings.kept(FLIPS_AFTER_LAST_SLOT, m);
            } else if (e instanceof RingEvent.UnexpectedSlotFlags u) {
                judge(u, Boolean.TRUE.equals(cleanStart.get(u.queue())), findings);
            }
        }
    }

    private static void judge(RingEvent.UnexpectedSlotFlags u, boolean cleanStart, Findings f) {
        int w = u.expectedWrap() ? 1 : 0;
        int a = (u.flags() >> 7) & 1;
        int used = (u.flags() >> 15) & 1;
        String seen = String.format("queue %d: slot %d, where the device expects the next available descriptor of the lap with "
                + "wrap value %d, holds flags 0x%04x (AVAIL %d, USED %d)", u.queue(), u.slot(), w, u.flags(), a, used);
        if (a == w && used == w) {
            if (u.firstLapAfterStart() && !cleanStart) return;
            f.broke(USED_IS_INVERSE, u.queue(), u, seen + "; the device has not marked it used in this lap, so the driver set USED "
                    + "equal to its wrap counter; the rule asks for USED = NOT counter in an available descriptor");
        } else if (u.afterUsedWrite()) {
            f.broke(FLIPS_AFTER_LAST_SLOT, u.queue(), u, seen + ", written over the device's used descriptor of the previous lap: "
                    + "the driver made it available with the previous lap's counter; the rule asks that the counter flip right "
                    + "after slot Q-1");
        } else if (u.firstLapAfterStart() && cleanStart && w == 1) {
            if (a == 0 && used == 0) {
                f.broke(AVAIL_IS_COUNTER, u.queue(), u, seen + " in the first lap after a zeroed start: USED matches a counter of "
                        + "1 but AVAIL does not; the rule asks for AVAIL = the driver's wrap counter");
            } else if (a == 0 && u.slot() == 0) {
                f.broke(STARTS_AT_ONE, u.queue(), u, seen + " as the first descriptor after the queue was enabled: a wrap counter "
                        + "of 0; the rule asks that it start at 1");
            } else if (a == 0) {
                f.broke(FLIPS_AFTER_LAST_SLOT, u.queue(), u, seen + " in the first lap, after earlier slots were made available "
                        + "with a counter of 1: the counter flipped before slot Q-1; the rule asks that it flip right after slot Q-1 only");
            }
        }
    }
}
