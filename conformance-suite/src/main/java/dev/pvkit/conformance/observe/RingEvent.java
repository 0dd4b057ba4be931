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

    /**
     * A virtio-net transmit chain as the device read it: the header's fields (all -1 when the chain was shorter than
     * a header), the chain's readable bytes, the frame's length after the header, its source and destination MACs and
     * EtherType (-1: none), whether it announces its sender (a gratuitous ARP, a RARP, an unsolicited IPv6 neighbour
     * advertisement) and the chain's writable bytes.
     */
    record NetTransmit(long micros, int queue, int head, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                       int csumOffset, int numBuffers, long readableBytes, int frameBytes, long sourceMac, long destinationMac,
                       int etherType, boolean announcement, long writableBytes) implements RingEvent {
        public boolean hasHeader() {
            return flags >= 0;
        }

        public String describe() {
            if (!hasHeader()) return String.format("queue %d: net transmit chain %d of %d readable bytes, shorter than a header", queue, head, readableBytes);
            return String.format("queue %d: net transmit chain %d: flags 0x%x gso_type %d hdr_len %d gso_size %d csum_start %d csum_offset %d"
                    + " num_buffers %d, %d-byte frame", queue, head, flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset, numBuffers, frameBytes);
        }
    }

    /**
     * A command on a net control queue PVKit's device served: its class and command (-1 when the chain held fewer
     * than 2 bytes), the bytes of command-specific data, the ack the device wrote (-1: none, no writable byte), and the
     * requirements the device found the command breaking, each with what it saw.
     */
    record NetControl(long micros, int queue, int head, int commandClass, int command, int dataBytes, int ack,
                      java.util.Map<String, String> broken) implements RingEvent {
        public NetControl {
            broken = java.util.Map.copyOf(broken);
        }

        public String describe() {
            return String.format("queue %d: net control chain %d: class %d command %d, %d data bytes, ack %d", queue, head,
                    commandClass, command, dataBytes, ack);
        }
    }

    /** A virtio-net receive chain the driver made available: its device-writable and device-readable bytes. */
    record NetReceiveBuffer(long micros, int queue, int head, long writableBytes, long readableBytes) implements RingEvent {
        public String describe() {
            return String.format("queue %d: net receive buffer chain %d: %d writable bytes, %d readable", queue, head, writableBytes, readableBytes);
        }
    }

    /**
     * A split queue was built at index 0 before the device wrote anything to it: the driver's {@code used.flags},
     * {@code used.idx} and {@code avail.idx} as the device read them then.
     */
    record SplitRingAtStart(long micros, int queue, int usedFlags, int usedIdx, int availIdx) implements RingEvent {
        public String describe() {
            return String.format("queue %d: split ring at start: used.flags 0x%x, used.idx %d, avail.idx %d", queue,
                    usedFlags, usedIdx, availIdx);
        }
    }

    /**
     * A packed queue was built at slot 0 with both wrap counters 1, before the device wrote anything to it:
     * {@code strangeSlots} descriptor slots carried flags neither zero nor marked available for the first lap, the
     * first at {@code firstStrange} (-1 when none) with {@code firstStrangeFlags}.
     */
    record PackedRingAtStart(long micros, int queue, int strangeSlots, int firstStrange, int firstStrangeFlags)
            implements RingEvent {
        public String describe() {
            return strangeSlots == 0 ? String.format("queue %d: packed ring at start: every slot's flags zero or available for lap 1", queue)
                    : String.format("queue %d: packed ring at start: %d slot%s with flags neither zero nor available, first slot %d flags 0x%04x",
                    queue, strangeSlots, strangeSlots == 1 ? "" : "s", firstStrange, firstStrangeFlags);
        }
    }

    /**
     * Packed: the slot at the device's available position held flags a driver keeping its wrap counter cannot leave
     * there (see {@code QueueObserver.unexpectedSlotFlags}).
     */
    record UnexpectedSlotFlags(long micros, int queue, int slot, boolean expectedWrap, int flags,
                               boolean firstLapAfterStart, boolean afterUsedWrite) implements RingEvent {
        public String describe() {
            return String.format("queue %d: slot %d flags 0x%04x (AVAIL %d, USED %d) where the device expects the lap with wrap %d%s%s",
                    queue, slot, flags, (flags >> 7) & 1, (flags >> 15) & 1, expectedWrap ? 1 : 0,
                    firstLapAfterStart ? ", first lap after start" : "", afterUsedWrite ? ", after its used descriptor of the previous lap" : "");
        }
    }
}
