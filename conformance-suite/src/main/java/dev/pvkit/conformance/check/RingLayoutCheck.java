package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.VhostUserEvent;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the driver put a queue's rings and how large it made it, as the front-end forwarded them over vhost-user.
 * Split: descriptor table 16-byte aligned [DRV-SPLIT-001], available ring 2-byte [DRV-SPLIT-002], used ring 4-byte
 * [DRV-SPLIT-003], size a power of two [DRV-SPLIT-004]. Packed: descriptor ring 16-byte aligned [DRV-PACKED-001],
 * both event suppression areas 4-byte [DRV-PACKED-002]. The format is the negotiated one (VIRTIO_F_RING_PACKED).
 *
 * <p>Sources: a started queue's guest-physical addresses and size ({@link VhostUserEvent.QueueStarted}); and, since a
 * back-end refuses to start a ring it cannot serve, the values as requested: SET_VRING_NUM (accepted, or refused
 * with the size it named) and SET_VRING_ADDR (the front-end's virtual addresses, which keep the guest-physical low
 * bits because QEMU's memory regions are page-aligned, as the spec's observability of these rules says).
 */
public final class RingLayoutCheck implements Check {
    public static final String SPLIT_DESC_ALIGN = "DRV-SPLIT-001";
    public static final String SPLIT_AVAIL_ALIGN = "DRV-SPLIT-002";
    public static final String SPLIT_USED_ALIGN = "DRV-SPLIT-003";
    public static final String SPLIT_SIZE_POWER_OF_TWO = "DRV-SPLIT-004";
    public static final String PACKED_DESC_ALIGN = "DRV-PACKED-001";
    public static final String PACKED_EVENT_ALIGN = "DRV-PACKED-002";

    private static final Pattern KEY_VALUE = Pattern.compile("(\\w+)=(\\S+)");
    private static final Pattern REFUSED_SIZE = Pattern.compile("^(\\d+) is not");

    @Override
    public Set<String> decides() {
        return Set.of(SPLIT_DESC_ALIGN, SPLIT_AVAIL_ALIGN, SPLIT_USED_ALIGN, SPLIT_SIZE_POWER_OF_TWO, PACKED_DESC_ALIGN,
                PACKED_EVENT_ALIGN);
    }

    @Override
    public String name() {
        return "ring layout";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<RingFormat> format = RingFormat.of(session);
        if (format.isEmpty()) return;
        boolean packed = format.get().packed();
        for (Event e : session.events()) {
            if (e instanceof VhostUserEvent.QueueStarted s) {
                addresses(s, s.queue(), s.descriptors(), s.driverArea(), s.deviceArea(), packed, "started at guest-physical", findings);
                if (!packed) size(s, s.queue(), s.size(), findings);
            } else if (e instanceof VhostUserEvent.Message m && m.request().equals("SET_VRING_ADDR")) {
                Map<String, String> v = values(m.summary());
                Long desc = hex(v.get("desc"));
                Long avail = hex(v.get("avail"));
                Long used = hex(v.get("used"));
                Integer queue = decimal(v.get("queue"));
                if (desc == null || avail == null || used == null || queue == null) continue;
                addresses(m, queue, desc, avail, used, packed, "at front-end address (SET_VRING_ADDR, keeping the guest-physical low bits)", findings);
            } else if (e instanceof VhostUserEvent.Message m && m.request().equals("SET_VRING_NUM") && !packed) {
                Map<String, String> v = values(m.summary());
                Integer queue = decimal(v.get("queue"));
                Integer num = decimal(v.get("num"));
                if (queue != null && num != null && num > 0) size(m, queue, num, findings);
            } else if (e instanceof VhostUserEvent.Refused r && r.request().equals("SET_VRING_NUM") && !packed) {
                Matcher n = REFUSED_SIZE.matcher(r.detail());
                if (!n.find()) continue;
                long num = Long.parseLong(n.group(1));
                if (num > 0 && num <= Integer.MAX_VALUE && Integer.bitCount((int) num) != 1) size(r, -1, (int) num, findings);
            }
        }
    }

    private static void addresses(Event at, int queue, long desc, long driver, long device, boolean packed, String how, Findings f) {
        if (packed) {
            align(at, queue, PACKED_DESC_ALIGN, "descriptor ring", desc, 16, how, f);
            if (driver % 4 != 0) align(at, queue, PACKED_EVENT_ALIGN, "driver event suppression area", driver, 4, how, f);
            else align(at, queue, PACKED_EVENT_ALIGN, "device event suppression area", device, 4, how, f);
        } else {
            align(at, queue, SPLIT_DESC_ALIGN, "descriptor table", desc, 16, how, f);
            align(at, queue, SPLIT_AVAIL_ALIGN, "available ring", driver, 2, how, f);
            align(at, queue, SPLIT_USED_ALIGN, "used ring", device, 4, how, f);
        }
    }

    private static void align(Event at, int queue, String id, String what, long address, int alignment, String how, Findings f) {
        if (address % alignment == 0) {
            f.kept(id, at);
        } else {
            f.broke(id, queue, at, String.format("queue %d: the driver placed the %s %s 0x%x (0x%x past a %d-byte boundary); "
                    + "the rule asks for a multiple of %d", queue, what, how, address, address % alignment, alignment, alignment));
        }
    }

    private static void size(Event at, int queue, int size, Findings f) {
        if (Integer.bitCount(size) == 1) {
            f.kept(SPLIT_SIZE_POWER_OF_TWO, at);
        } else {
            f.broke(SPLIT_SIZE_POWER_OF_TWO, queue, at, String.format("%s: the driver set a split ring size of %d; the rule asks "
                    + "for a power of two", queue >= 0 ? "queue " + queue : "a queue", size));
        }
    }

    private static Map<String, String> values(String summary) {
        Map<String, String> out = new HashMap<>();
        Matcher m = KEY_VALUE.matcher(summary);
        while (m.find()) out.put(m.group(1), m.group(2));
        return out;
    }

    private static Long hex(String v) {
        if (v == null || !v.startsWith("0x")) return null;
        try {
            return Long.parseUnsignedLong(v.substring(2), 16);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Integer decimal(String v) {
        if (v == null) return null;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
