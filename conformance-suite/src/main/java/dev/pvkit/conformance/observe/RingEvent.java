package dev.pvkit.conformance.observe;

import dev.pvkit.sdk.virtqueue.ChainRule;

/** What a device queue saw in ring memory, or a kick on its eventfd. {@code queue} is the virtqueue index. */
public sealed interface RingEvent extends Event {

    int queue();

    @Override
    default Source source() {
        return Source.RING;
    }

    /** The driver's available position moved (split: {@code avail.idx}; packed: off_wrap form). */
    record AvailMoved(long micros, int queue, int previous, int current) implements RingEvent {
        public String describe() {
            return String.format("queue %d: available index %d -> %d", queue, previous, current);
        }
    }

    /**
     * A chain (split) or list (packed) passed validation. {@code slot}: its avail-ring position (split) or first ring
     * slot (packed); {@code descriptors}: how many descriptors it occupies, counting indirect entries.
     */
    record ChainSeen(long micros, int queue, int head, int descriptors, int ringSlots, long readableBytes,
                     long writableBytes, String tolerated) implements RingEvent {
        public String describe() {
            return String.format("queue %d: chain %d, %d descriptor%s (%d ring slot%s), %d readable and %d writable bytes%s",
                    queue, head, descriptors, descriptors == 1 ? "" : "s", ringSlots, ringSlots == 1 ? "" : "s",
                    readableBytes, writableBytes, tolerated.isEmpty() ? "" : ", tolerated: " + tolerated);
        }
    }

    /** A chain broke a ring rule; {@code requirement} is the rule's id for the queue's format. */
    record ChainRefused(long micros, int queue, ChainRule rule, String requirement, int head, int descriptor,
                        boolean indirect, long address, long length, int flags, String detail) implements RingEvent {
        public String describe() {
            return String.format("queue %d: chain %d refused, %s at %s descriptor %d (addr 0x%x len %d flags 0x%x): %s",
                    queue, head, rule, indirect ? "indirect" : "ring", descriptor, address, length, flags, detail);
        }
    }

    /** The device published used entries up to {@code index} (split: used.idx; packed: off_wrap form). */
    record UsedPublished(long micros, int queue, int index) implements RingEvent {
        public String describe() {
            return String.format("queue %d: used index published %d", queue, index);
        }
    }

    /** The driver notified the queue (the kick eventfd fired). */
    record Kick(long micros, int queue) implements RingEvent {
        public String describe() {
            return String.format("queue %d: available buffer notification", queue);
        }
    }

    /**
     * The driver's notification-suppression fields as the device read them: split {@code avail.flags} and
     * {@code used_event}; packed driver area {@code flags} and {@code off_wrap}.
     */
    record DriverSuppression(long micros, int queue, int flags, int event) implements RingEvent {
        public String describe() {
            return String.format("queue %d: driver suppression flags 0x%x event %d", queue, flags, event);
        }
    }

    /** A virtio-blk request as the device decoded it, and the status it answered. */
    record BlkRequest(long micros, int queue, int head, long type, long sector, long dataOut, long dataIn,
                      long segments, int segmentFlags, int status) implements RingEvent {
        public String describe() {
            return String.format("queue %d: blk request %s (type %d) sector %d, %d data bytes out, %d in, %d segment%s, status %d",
                    queue, BlkTypes.name(type), type, sector, dataOut, dataIn, segments, segments == 1 ? "" : "s", status);
        }
    }
}
