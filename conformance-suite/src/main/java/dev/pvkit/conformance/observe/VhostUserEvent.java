package dev.pvkit.conformance.observe;

/** A vhost-user step the back-end took on the front-end's behalf (QEMU forwarding the driver's set-up). */
public sealed interface VhostUserEvent extends Event {

    @Override
    default Source source() {
        return Source.VHOST_USER;
    }

    /** The features QEMU acknowledged for the driver (SET_FEATURES). */
    record FeaturesAcked(long micros, long features) implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: features acknowledged 0x%x", features);
        }
    }

    /** The features the device offered (GET_FEATURES). */
    record FeaturesOffered(long micros, long features) implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: features offered 0x%x", features);
        }
    }

    /** A queue started with this size and these guest-physical ring addresses. */
    record QueueStarted(long micros, int queue, int size, long descriptors, long driverArea, long deviceArea)
            implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: queue %d started, size %d, descriptors 0x%x, driver area 0x%x, device area 0x%x",
                    queue, size, descriptors, driverArea, deviceArea);
        }
    }

    /** A queue stopped (GET_VRING_BASE). */
    record QueueStopped(long micros, int queue, long base) implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: queue %d stopped at %d", queue, base);
        }
    }

    /** The device was reset (RESET_DEVICE or RESET_OWNER), or a new front-end connected. */
    record DeviceReset(long micros, String cause) implements VhostUserEvent {
        public String describe() {
            return "vhost-user: device reset (" + cause + ")";
        }
    }

    /**
     * The back-end announced a configuration change (BACKEND_CONFIG_CHANGE_MSG); QEMU re-reads the configuration and,
     * when it differs, notifies the driver.
     */
    record ConfigChangeAnnounced(long micros) implements VhostUserEvent {
        public String describe() {
            return "vhost-user: back-end announced a configuration change (BACKEND_CONFIG_CHANGE_MSG)";
        }
    }

    /** Any other message the back-end acted on, by name and values. */
    record Message(long micros, String request, String summary) implements VhostUserEvent {
        public String describe() {
            return "vhost-user: " + request + (summary.isEmpty() ? "" : " " + summary);
        }
    }

    /** A message the back-end refused, with the rule it broke and that rule's requirement id (null when none). */
    record Refused(long micros, String request, String rule, String requirement, String detail, String answer)
            implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: %s refused [%s%s] %s -> %s", request, rule,
                    requirement == null ? "" : ", " + requirement, detail, answer);
        }
    }

    /**
     * What a virtio-blk device presented when the driver negotiated (the back-end reports it at SET_FEATURES, which
     * QEMU sends each time a driver starts the device, so every driver session that sends requests has one before
     * them): the facts the blk checks judge requests against. Limits are 0 when their feature is not offered.
     */
    record BlkDeviceFacts(long micros, long offeredFeatures, long negotiatedFeatures, long capacitySectors,
                          boolean readOnly, long maxDiscardSeg, long maxWriteZeroesSeg) implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: blk device offers 0x%x, driver took 0x%x, capacity %d sectors%s, max_discard_seg %d, max_write_zeroes_seg %d",
                    offeredFeatures, negotiatedFeatures, capacitySectors, readOnly ? " (read-only)" : "", maxDiscardSeg, maxWriteZeroesSeg);
        }
    }

    /** At a virtio-net feature negotiation: what the device offered, what the driver took, the MTU in its config. */
    record NetDeviceFacts(long micros, long offeredFeatures, long negotiatedFeatures, int mtu) implements VhostUserEvent {
        public String describe() {
            return String.format("vhost-user: net device offers 0x%x, driver took 0x%x, mtu %d", offeredFeatures, negotiatedFeatures, mtu);
        }
    }

    /**
     * A virtio-net device asked its driver to announce itself (ANNOUNCE in the status field, after a migration or
     * QEMU's {@code announce-self}). {@code ackReachesDevice}: the device serves the control queue, so the driver's
     * ANNOUNCE_ACK is seen here (PVKit's own device); false when QEMU serves it and only the gratuitous packets are.
     */
    record NetAnnounceRequested(long micros, boolean ackReachesDevice) implements VhostUserEvent {
        public String describe() {
            return "net device asks the driver to announce itself" + (ackReachesDevice ? "" : " (QEMU's announce-self; QEMU takes the ack)");
        }
    }
}
