package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.RingEvent;

import java.util.Optional;
import java.util.Set;

/**
 * The driver's used-buffer notification suppression field, as the device reads it ({@link RingEvent.DriverSuppression},
 * reported on first read and on each change). Split {@code avail.flags}: 0 or 1 without EVENT_IDX [DRV-SPLIT-027],
 * 0 with it [DRV-SPLIT-029]. Packed driver area flags: DESC (2) only with EVENT_IDX [DRV-PACKED-030], never the
 * reserved mode 3 [DRV-PACKED-031], bits 2–15 zero [DRV-PACKED-032]. Whatever the device reads there the driver
 * wrote, so a value is judged as read, whenever it was read. A rule that cannot be broken under the negotiated
 * features (DESC with EVENT_IDX) is not exercised.
 */
public final class SuppressionFlagsCheck implements Check {
    public static final String SPLIT_FLAGS_WITHOUT_EVENT_IDX = "DRV-SPLIT-027";
    public static final String SPLIT_FLAGS_WITH_EVENT_IDX = "DRV-SPLIT-029";
    public static final String PACKED_DESC_NEEDS_EVENT_IDX = "DRV-PACKED-030";
    public static final String PACKED_NO_RESERVED_MODE = "DRV-PACKED-031";
    public static final String PACKED_RESERVED_BITS_ZERO = "DRV-PACKED-032";

    @Override
    public Set<String> decides() {
        return Set.of(SPLIT_FLAGS_WITHOUT_EVENT_IDX, SPLIT_FLAGS_WITH_EVENT_IDX, PACKED_DESC_NEEDS_EVENT_IDX,
                PACKED_NO_RESERVED_MODE, PACKED_RESERVED_BITS_ZERO);
    }

    @Override
    public String name() {
        return "driver notification suppression flags";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        if (format.isEmpty()) return;
        boolean eventIdx = format.get().eventIdx();
        for (Event e : session.events()) {
            if (!(e instanceof RingEvent.DriverSuppression s)) continue;
            int flags = s.flags() & 0xffff;
            if (!format.get().packed()) split(s, flags, eventIdx, findings);
            else packed(s, flags, eventIdx, findings);
        }
    }

    private static void split(RingEvent.DriverSuppression s, int flags, boolean eventIdx, Findings f) {
        if (eventIdx) {
            if (flags == 0) f.kept(SPLIT_FLAGS_WITH_EVENT_IDX, s);
            else f.broke(SPLIT_FLAGS_WITH_EVENT_IDX, s.queue(), s, String.format("queue %d: avail.flags read as 0x%x with "
                    + "VIRTIO_F_EVENT_IDX negotiated; the rule asks for 0 (used_event says when to notify)", s.queue(), flags));
        } else {
            if ((flags & ~1) == 0) f.kept(SPLIT_FLAGS_WITHOUT_EVENT_IDX, s);
            else f.broke(SPLIT_FLAGS_WITHOUT_EVENT_IDX, s.queue(), s, String.format("queue %d: avail.flags read as 0x%x "
                    + "without VIRTIO_F_EVENT_IDX; the rule asks for 0 or 1 (NO_INTERRUPT)", s.queue(), flags));
        }
    }

    private static void packed(RingEvent.DriverSuppression s, int flags, boolean eventIdx, Findings f) {
        int mode = flags & 3;
        if ((flags & ~3) == 0) f.kept(PACKED_RESERVED_BITS_ZERO, s);
        else f.broke(PACKED_RESERVED_BITS_ZERO, s.queue(), s, String.format("queue %d: driver area flags read as 0x%04x, "
                + "bits 0x%04x set among bits 2-15; the rule asks that they be zero", s.queue(), flags, flags & ~3));
        if (mode != 3) f.kept(PACKED_NO_RESERVED_MODE, s);
        else f.broke(PACKED_NO_RESERVED_MODE, s.queue(), s, String.format("queue %d: driver area flags read as 0x%04x, "
                + "mode 3 (reserved); the rule asks for ENABLE (0), DISABLE (1) or DESC (2)", s.queue(), flags));
        if (eventIdx) return;
        if (mode != 2) f.kept(PACKED_DESC_NEEDS_EVENT_IDX, s);
        else f.broke(PACKED_DESC_NEEDS_EVENT_IDX, s.queue(), s, String.format("queue %d: driver area flags read as 0x%04x, "
                + "mode DESC (2) with event off_wrap 0x%04x, without VIRTIO_F_EVENT_IDX; the rule asks for ENABLE or DISABLE "
                + "unless EVENT_IDX was negotiated", s.queue(), flags, s.event() & 0xffff));
    }
}
