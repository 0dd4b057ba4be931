package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.QueueSetupException;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.ValidationPolicy;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * Builds the device queue for a configured ring on a guest memory map: the addresses the front-end gave (its own
 * virtual addresses) translated to guest-physical ones in that map, each with the full extent its layout needs, and
 * the negotiated features. It changes nothing, so a map can be tried for every ring before any ring moves to it; a
 * ring that cannot be served there is a violation of the request that caused the build.
 */
final class QueueBuilder {
    private final ValidationPolicy policy;
    private final BackendObserver observer;

    QueueBuilder(ValidationPolicy policy, BackendObserver observer) {
        this.policy = policy;
        this.observer = observer;
    }

    /** A queue built for a ring, and the guest-physical areas it runs on. */
    record Built(DeviceQueue queue, Areas at) {
    }

    /** A ring's three areas as guest-physical addresses. */
    record Areas(long descriptors, long driver, long device) {
    }

    /** The device queue for {@code ring} on {@code mem}, resuming at {@code base}. */
    Built build(FrontendRequest cause, Vring ring, GuestMemory mem, long base, long features) {
        if (ring.size == 0 || ring.address == null) {
            throw violation(cause, VhostUserRule.RING_NOT_CONFIGURED, "queue " + ring.index + " has no size or addresses");
        }
        boolean packed = VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
        Areas at = areas(cause, ring, mem, packed);
        QueueConfig c = new QueueConfig(ring.index, ring.size, at.descriptors(), at.driver(), at.device(), features, policy,
                observer.queueObserver(ring.index), base);
        try {
            return new Built(packed ? new PackedDeviceQueue(mem, c) : new SplitDeviceQueue(mem, c), at);
        } catch (QueueSetupException e) {
            throw violation(cause, VhostUserRule.RING_SET_UP, e.getMessage());
        }
    }

    /** The ring's areas in {@code mem}; a violation of {@code cause} when one is not inside. */
    private static Areas areas(FrontendRequest cause, Vring ring, GuestMemory mem, boolean packed) {
        int q = ring.size;
        Bodies.VringAddress a = ring.address;
        return new Areas(
                translate(cause, mem, ring, "descriptor area", a.descriptors(), packed ? PackedRing.ringBytes(q) : SplitRing.descTableBytes(q)),
                translate(cause, mem, ring, "driver area", a.avail(), packed ? PackedRing.EVENT_BYTES : SplitRing.availBytes(q)),
                translate(cause, mem, ring, "device area", a.used(), packed ? PackedRing.EVENT_BYTES : SplitRing.usedBytes(q)));
    }

    private static long translate(FrontendRequest cause, GuestMemory mem, Vring ring, String what, long userAddress, long bytes) {
        long gpa = mem.guestAddressOfUser(userAddress, bytes);
        if (gpa < 0) {
            throw violation(cause, VhostUserRule.RING_ADDRESS, String.format("queue %d %s at 0x%x+%d is not inside guest memory",
                    ring.index, what, userAddress, bytes));
        }
        return gpa;
    }
}
