package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.observe.QueueEventFd;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtqueue.QueueConfig;

import static dev.pvkit.sdk.vhostuser.ProtocolViolation.violation;

/**
 * What the ring set-up messages mean (SET_VRING_NUM, _ADDR, _BASE, _KICK, _CALL, _ERR, _ENABLE and GET_VRING_BASE):
 * their checks — the ring exists, the value is one PVKit serves, a started ring keeps its layout — and the
 * configuration they record, each under the ring's lock. Starting and stopping a ring, which the kick and
 * GET_VRING_BASE cause, is {@link Rings}'s.
 */
final class RingSetup {
    private final Rings rings;
    private final VirtioDevice device;
    private final BackendObserver observer;

    RingSetup(Rings rings, VirtioDevice device, BackendObserver observer) {
        this.rings = rings;
        this.device = device;
        this.observer = observer;
    }

    Outcome setNum(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_NUM, s.index());
        int num = s.num();
        boolean packed = rings.packed();
        if (num < 1 || num > device.maxQueueSize() || num > QueueConfig.MAX_SIZE || (!packed && Integer.bitCount(num) != 1)) {
            throw violation(FrontendRequest.SET_VRING_NUM, VhostUserRule.QUEUE_SIZE, Integer.toUnsignedString(num) + " is not "
                    + (packed ? "" : "a power of two ") + "in 1.." + Math.min(device.maxQueueSize(), QueueConfig.MAX_SIZE));
        }
        whileStopped(FrontendRequest.SET_VRING_NUM, ring, () -> ring.size = num);
        observer.queueSize(ring.index, num);
        return Outcome.handled(Summary.state("num", s));
    }

    Outcome setAddress(Bodies.VringAddress a) {
        Vring ring = ring(FrontendRequest.SET_VRING_ADDR, a.index());
        whileStopped(FrontendRequest.SET_VRING_ADDR, ring, () -> ring.address = a);
        observer.queueAddressesSet(ring.index, a.descriptors(), a.avail(), a.used());
        return Outcome.handled(Summary.address(a));
    }

    Outcome setBase(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_BASE, s.index());
        whileStopped(FrontendRequest.SET_VRING_BASE, ring, () -> ring.base = Integer.toUnsignedLong(s.num()));
        observer.queueBase(ring.index, Integer.toUnsignedLong(s.num()));
        return Outcome.handled(Summary.state("base", s));
    }

    /** SET_VRING_KICK: a new kick (none: polled); the ring starts if it was stopped. */
    Outcome setKick(Bodies.VringFd f, Message m) {
        Vring ring = ring(FrontendRequest.SET_VRING_KICK, f.index());
        rings.kick(ring, eventFd(f, m));
        return Outcome.handled(Summary.eventFd(f));
    }

    Outcome setCall(Bodies.VringFd f, Message m) {
        return withEventFd(FrontendRequest.SET_VRING_CALL, f, m, QueueEventFd.CALL, (v, fd) -> {
            if (v.call != null) v.call.close();
            v.call = fd;
        });
    }

    Outcome setErr(Bodies.VringFd f, Message m) {
        return withEventFd(FrontendRequest.SET_VRING_ERR, f, m, QueueEventFd.ERR, (v, fd) -> {
            if (v.err != null) v.err.close();
            v.err = fd;
        });
    }

    Outcome setEnable(Bodies.VringState s) {
        Vring ring = ring(FrontendRequest.SET_VRING_ENABLE, s.index());
        if (s.num() != 0 && s.num() != 1) {
            throw violation(FrontendRequest.SET_VRING_ENABLE, VhostUserRule.ENABLE_VALUE, s.num() + " is neither 0 nor 1");
        }
        Rings.locked(ring, () -> ring.enabled = s.num() == 1);
        observer.queueEnabled(ring.index, s.num() == 1);
        device.queueEnabled(ring.index, s.num() == 1);
        rings.wake(ring.index);
        return Outcome.handled(Summary.state("enable", s));
    }

    /** GET_VRING_BASE: stops the ring and returns where it stands [BE-VU-017]. */
    Outcome getBase(Bodies.VringState s) {
        long base = rings.stop(ring(FrontendRequest.GET_VRING_BASE, s.index()));
        Bodies.VringState at = new Bodies.VringState(s.index(), (int) base);
        return Outcome.replied(at.encode(), Summary.state("base", at));
    }

    private Vring ring(FrontendRequest r, int index) {
        if (index < 0 || index >= rings.count()) {
            throw violation(r, VhostUserRule.QUEUE_INDEX, index + " is not below the queue count " + rings.count());
        }
        return rings.ring(index);
    }

    /** A started ring's layout is its queue's: it changes only after GET_VRING_BASE stopped it. */
    private static void whileStopped(FrontendRequest r, Vring ring, Runnable change) {
        Rings.locked(ring, () -> {
            if (ring.started()) throw violation(r, VhostUserRule.RING_RUNNING, "queue " + ring.index + " is started");
            change.run();
        });
    }

    private interface EventFdSetter {
        void set(Vring ring, EventFd fd);
    }

    private Outcome withEventFd(FrontendRequest r, Bodies.VringFd f, Message m, QueueEventFd which, EventFdSetter setter) {
        Vring ring = ring(r, f.index());
        EventFd fd = eventFd(f, m);
        Rings.locked(ring, () -> setter.set(ring, fd));
        observer.queueEventFdSet(ring.index, which, fd != null);
        return Outcome.handled(Summary.eventFd(f));
    }

    /**
     * The message's eventfd, or null with the no-fd flag. Taken only once the ring is known to exist: the descriptors
     * of a message refused before are closed with it.
     */
    private static EventFd eventFd(Bodies.VringFd f, Message m) {
        return f.noFd() ? null : EventFd.adopt(m.takeFd(0));
    }
}
