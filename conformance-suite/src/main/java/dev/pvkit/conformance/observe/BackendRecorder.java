package dev.pvkit.conformance.observe;

import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainError;
import dev.pvkit.sdk.virtqueue.QueueObserver;
import dev.pvkit.sdk.virtqueue.Reaction;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Turns what the back-end sees (vhost-user steps and every queue's ring steps) into events in an {@link EventLog}.
 * Another observer can be chained behind it ({@code next}), so a harness keeps its own watch as well.
 */
public final class BackendRecorder implements BackendObserver {
    private final EventLog log;
    private final BackendObserver next;
    private final Map<Integer, Integer> sizes = new ConcurrentHashMap<>();
    private final Map<Integer, QueueObserver> queues = new ConcurrentHashMap<>();

    public BackendRecorder(EventLog log) {
        this(log, BackendObserver.NONE);
    }

    public BackendRecorder(EventLog log, BackendObserver next) {
        this.log = log;
        this.next = next;
    }

    private static long now() {
        return EventLog.nowMicros();
    }

    @Override public void connected() {
        log.add(new VhostUserEvent.DeviceReset(now(), "front-end connected"));
        next.connected();
    }

    @Override public void featuresOffered(long f) {
        log.add(new VhostUserEvent.FeaturesOffered(now(), f));
        next.featuresOffered(f);
    }

    @Override public void featuresAcknowledged(long f) {
        log.add(new VhostUserEvent.FeaturesAcked(now(), f));
        next.featuresAcknowledged(f);
    }

    @Override public void protocolFeaturesOffered(long f) { next.protocolFeaturesOffered(f); }
    @Override public void protocolFeaturesAcknowledged(long f) { next.protocolFeaturesAcknowledged(f); }
    @Override public void statusWritten(int s) { next.statusWritten(s); }
    @Override public void configRead(int offset, int size) { next.configRead(offset, size); }
    @Override public void configWritten(int offset, byte[] data, boolean accepted) { next.configWritten(offset, data, accepted); }
    @Override public void memoryMapped(long[][] regions) { next.memoryMapped(regions); }
    @Override public void queueAddressesSet(int q, long d, long a, long u) { next.queueAddressesSet(q, d, a, u); }
    @Override public void queueEventFdSet(int q, dev.pvkit.sdk.observe.QueueEventFd w, boolean p) { next.queueEventFdSet(q, w, p); }
    @Override public void queueBase(int q, long base) { next.queueBase(q, base); }
    @Override public void queueEnabled(int q, boolean on) { next.queueEnabled(q, on); }
    @Override public void queueStarted(int q) { next.queueStarted(q); }

    @Override public void queueSize(int queue, int size) {
        sizes.put(queue, size);
        next.queueSize(queue, size);
    }

    @Override public void queueAddresses(int queue, long d, long a, long u) {
        log.add(new VhostUserEvent.QueueStarted(now(), queue, sizes.getOrDefault(queue, 0), d, a, u));
        next.queueAddresses(queue, d, a, u);
    }

    @Override public void queueStopped(int queue, long base) {
        log.add(new VhostUserEvent.QueueStopped(now(), queue, base));
        next.queueStopped(queue, base);
    }

    @Override public void deviceReset(String cause) {
        log.add(new VhostUserEvent.DeviceReset(now(), cause));
        next.deviceReset(cause);
    }

    @Override public void requestHandled(String request, String summary) {
        log.add(new VhostUserEvent.Message(now(), request, summary));
        next.requestHandled(request, summary);
    }

    @Override public void messageRejected(String request, String rule, String requirement, String detail, String answer) {
        log.add(new VhostUserEvent.Refused(now(), request, rule, requirement, detail, answer));
        next.messageRejected(request, rule, requirement, detail, answer);
    }

    @Override public void configChangeAnnounced() {
        log.add(new VhostUserEvent.ConfigChangeAnnounced(now()));
        next.configChangeAnnounced();
    }

    @Override public void disconnected(String why) {
        log.add(new VhostUserEvent.Message(now(), "disconnected", why));
        next.disconnected(why);
    }

    @Override public QueueObserver queueObserver(int queue) {
        QueueObserver chained = next.queueObserver(queue);
        return queues.computeIfAbsent(queue, q -> new QueueRecorder(log, chained));
    }

    /** One queue's ring steps as events. */
    private static final class QueueRecorder implements QueueObserver {
        private final EventLog log;
        private final QueueObserver next;

        QueueRecorder(EventLog log, QueueObserver next) {
            this.log = log;
            this.next = next;
        }

        @Override public void availIndexRead(int queue, int previous, int current) {
            log.add(new RingEvent.AvailMoved(now(), queue, previous, current));
            next.availIndexRead(queue, previous, current);
        }

        @Override public void chainRead(int queue, Chain chain) {
            String tolerated = chain.tolerated().stream().map(e -> e.rule().name()).collect(Collectors.joining(","));
            log.add(new RingEvent.ChainSeen(now(), queue, chain.id(), chain.readable().size() + chain.writable().size(),
                    chain.ringSlots(), chain.readableBytes(), chain.writableBytes(), tolerated));
            for (ChainError e : chain.tolerated()) refused(queue, e);
            next.chainRead(queue, chain);
        }

        @Override public void chainRejected(int queue, ChainError e, Reaction reaction) {
            refused(queue, e);
            next.chainRejected(queue, e, reaction);
        }

        private void refused(int queue, ChainError e) {
            log.add(new RingEvent.ChainRefused(now(), queue, e.rule(), e.requirement(), e.head(), e.descriptor(),
                    e.indirect(), e.address(), e.length(), e.flags(), e.detail()));
        }

        @Override public void usedWritten(int queue, int id, long length) {
            next.usedWritten(queue, id, length);
        }

        @Override public void usedPublished(int queue, int usedIndex) {
            log.add(new RingEvent.UsedPublished(now(), queue, usedIndex));
            next.usedPublished(queue, usedIndex);
        }

        @Override public void notificationDecided(int queue, boolean notify, String reason) {
            next.notificationDecided(queue, notify, reason);
        }

        @Override public void kickReceived(int queue) {
            log.add(new RingEvent.Kick(now(), queue));
            next.kickReceived(queue);
        }

        @Override public void splitRingAtStart(int queue, int usedFlags, int usedIdx, int availIdx) {
            log.add(new RingEvent.SplitRingAtStart(now(), queue, usedFlags, usedIdx, availIdx));
            next.splitRingAtStart(queue, usedFlags, usedIdx, availIdx);
        }

        @Override public void packedRingAtStart(int queue, int strangeSlots, int firstStrange, int firstStrangeFlags) {
            log.add(new RingEvent.PackedRingAtStart(now(), queue, strangeSlots, firstStrange, firstStrangeFlags));
            next.packedRingAtStart(queue, strangeSlots, firstStrange, firstStrangeFlags);
        }

        @Override public void unexpectedSlotFlags(int queue, int slot, boolean expectedWrap, int flags, boolean firstLap,
                                                  boolean afterUsedWrite) {
            log.add(new RingEvent.UnexpectedSlotFlags(now(), queue, slot, expectedWrap, flags, firstLap, afterUsedWrite));
            next.unexpectedSlotFlags(queue, slot, expectedWrap, flags, firstLap, afterUsedWrite);
        }

        @Override public void driverSuppressionRead(int queue, int flags, int event) {
            log.add(new RingEvent.DriverSuppression(now(), queue, flags, event));
            next.driverSuppressionRead(queue, flags, event);
        }
    }
}
