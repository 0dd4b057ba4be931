package dev.pvkit.conformance.check;

import dev.pvkit.conformance.observe.CommonField;
import dev.pvkit.conformance.observe.DriverSession;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.TransportEvent;
import dev.pvkit.conformance.observe.VhostUserEvent;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A split ring's size is at most 32768 [DRV-SPLIT-005]. Sources: the size the driver enabled a queue with, from
 * QEMU's register trace (the last {@code queue_size} written for the selected queue before {@code queue_enable} = 1;
 * an earlier value it overwrote was never used); and the size SET_VRING_NUM carried, accepted or refused with the
 * size it named (QEMU refuses sizes above its own limit, so over vhost-user a breach shows only with a front-end
 * that forwards it). A power-of-two size within the limit that the back-end refused for its own maximum is not this
 * rule's. Packed rings have no such driver rule here (their limit is the device's), so only split sessions count.
 */
public final class QueueSizeLimitCheck implements Check {
    public static final String SPLIT_SIZE_LIMIT = "DRV-SPLIT-005";
    static final long LIMIT = 32768;

    private static final Pattern NUM = Pattern.compile("(?:^|\\s)num=(\\d+)");
    private static final Pattern QUEUE = Pattern.compile("(?:^|\\s)queue=(\\d+)");
    private static final Pattern REFUSED_SIZE = Pattern.compile("^(\\d+) is not");

    @Override
    public Set<String> decides() {
        return Set.of(SPLIT_SIZE_LIMIT);
    }

    @Override
    public String name() {
        return "split queue size limit";
    }

    @Override
    public void check(DriverSession session, Findings findings) {
        Optional<Boolean> packed = RingFormat.of(session).map(RingFormat::packed).or(() -> packedFromTrace(session));
        if (packed.isEmpty() || packed.get()) return;
        int selected = 0;
        Map<Integer, TransportEvent> sizeWrites = new HashMap<>();
        for (Event e : session.events()) {
            if (e instanceof TransportEvent t) {
                if (t.isWriteOf(CommonField.QUEUE_SELECT)) {
                    selected = (int) t.value();
                } else if (t.isWriteOf(CommonField.QUEUE_SIZE)) {
                    sizeWrites.put(selected, t);
                } else if (t.isWriteOf(CommonField.QUEUE_ENABLE) && t.value() == 1) {
                    TransportEvent size = sizeWrites.get(selected);
                    if (size != null) judge(size, selected, size.value() & 0xffff, "enabled it after writing queue_size", findings);
                }
            } else if (e instanceof VhostUserEvent.Message m && m.request().equals("SET_VRING_NUM")) {
                Long num = number(NUM, m.summary());
                Long queue = number(QUEUE, m.summary());
                if (num != null) judge(m, queue == null ? -1 : queue.intValue(), num, "set it over vhost-user (SET_VRING_NUM)", findings);
            } else if (e instanceof VhostUserEvent.Refused r && r.request().equals("SET_VRING_NUM")) {
                Matcher n = REFUSED_SIZE.matcher(r.detail());
                if (!n.find()) continue;
                long num;
                try {
                    num = Long.parseLong(n.group(1));
                } catch (NumberFormatException x) {
                    continue;
                }
                if (num > LIMIT) judge(r, -1, num, "asked for it over vhost-user (SET_VRING_NUM, refused)", findings);
            }
        }
    }

    private static void judge(Event at, int queue, long size, String how, Findings f) {
        if (size <= 0) return; // zero: the queue is not used at all
        if (size <= LIMIT) {
            f.kept(SPLIT_SIZE_LIMIT, at);
        } else {
            f.broke(SPLIT_SIZE_LIMIT, queue, at, String.format("%s: the driver used a split ring size of %d (%s); the rule "
                    + "asks for at most 32768", queue >= 0 ? "queue " + queue : "a queue", size, how));
        }
    }

    /**
     * Whether the driver accepted RING_PACKED (bit 34: word 1, bit 2), from its driver_feature writes in the trace,
     * for a session without vhost-user negotiation in it; empty when it never wrote feature word 1.
     */
    private static Optional<Boolean> packedFromTrace(DriverSession session) {
        long select = 0;
        Boolean packed = null;
        for (TransportEvent t : session.events(TransportEvent.class)) {
            if (t.isWriteOf(CommonField.DRIVER_FEATURE_SELECT)) select = t.value();
            else if (t.isWriteOf(CommonField.DRIVER_FEATURE) && select == 1) packed = (t.value() & (1L << (VirtioFeatures.RING_PACKED - 32))) != 0;
        }
        return Optional.ofNullable(packed);
    }

    private static Long number(Pattern p, String summary) {
        Matcher m = p.matcher(summary);
        if (!m.find()) return null;
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
