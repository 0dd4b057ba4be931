package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a freshly allocated ring holds when the device first sees it. Split: {@code used.flags} is 0
 * [DRV-SPLIT-034]. Packed: the descriptor ring is zeroed [DRV-PACKED-036].
 *
 * <p>The device reads the ring once when it builds a queue at the initial position (split index 0; packed slot 0
 * with both wrap counters 1), before it writes anything there ({@link RingEvent.SplitRingAtStart},
 * {@link RingEvent.PackedRingAtStart}). Only the first such read of a queue in a session, before the queue's first
 * start, is judged: a later one (a restart, a ring rebuilt on a new memory map) may see the device's own earlier
 * writes. Split: only when both indices still read 0, so the ring cannot be one the device already served. Packed:
 * only flags are judged, and only values a driver could not have written for the first lap (anything non-zero but
 * AVAIL 1 / USED 0): a driver may already be filling descriptors (addr, len, id before flags, and a list's later
 * slots before its first) when the device looks, and a first-lap available descriptor looks the same whether the
 * driver wrote it or left it. Assumes the session's ring was set up by the driver, not inherited across a back-end
 * reconnect (PVKit's certification runs start the back-end before the guest).
 */
public final class RingStartCheck implements Check {
    public static final String SPLIT_USED_FLAGS_ZERO = "DRV-SPLIT-034";
    public static final String PACKED_RING_ZEROED = "DRV-PACKED-036";

    @Override
    public Set<String> decides() {
        return Set.of(SPLIT_USED_FLAGS_ZERO, PACKED_RING_ZEROED);
    }

    @Override
    public String name() {
        return "ring contents at start";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        if (format.isEmpty()) return;
        boolean packed = format.get().packed();
        Set<Integer> started = new HashSet<>();
        Set<Integer> judged = new HashSet<>();
        for (Event e : session.events()) {
            if (e instanceof VhostUserEvent.QueueStarted s) {
                started.add(s.queue());
            } else if (e instanceof RingEvent.SplitRingAtStart a && !packed) {
                if (started.contains(a.queue()) || !judged.add(a.queue())) continue;
                if (a.usedIdx() != 0 || a.availIdx() != 0) continue;
                if (a.usedFlags() == 0) findings.kept(SPLIT_USED_FLAGS_ZERO, a);
                else findings.broke(SPLIT_USED_FLAGS_ZERO, a.queue(), a, String.format("queue %d: the device found used.flags "
                        + "0x%x when the queue started, before it wrote the used ring; the rule asks the driver to set it to 0 "
                        + "when it allocates the used ring", a.queue(), a.usedFlags()));
            } else if (e instanceof RingEvent.PackedRingAtStart a && packed) {
                if (started.contains(a.queue()) || !judged.add(a.queue())) continue;
                if (a.strangeSlots() == 0) findings.kept(PACKED_RING_ZEROED, a);
                else findings.broke(PACKED_RING_ZEROED, a.queue(), a, String.format("queue %d: when the queue was enabled, %d "
                        + "descriptor slot%s carried flags that are neither zero nor a first-lap available descriptor (first: slot %d, "
                        + "flags 0x%04x); the rule asks that the whole ring be zero when the queue is enabled", a.queue(),
                        a.strangeSlots(), a.strangeSlots() == 1 ? "" : "s", a.firstStrange(), a.firstStrangeFlags()));
            }
        }
    }
}
