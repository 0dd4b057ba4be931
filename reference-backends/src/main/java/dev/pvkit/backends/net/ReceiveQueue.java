package dev.pvkit.backends.net;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.os.EventFd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static dev.pvkit.backends.net.VirtioNet.HEADER_BYTES;

/**
 * One receive queue of a {@link VirtioNetDevice}: the frames steered to it that wait for the driver's buffers (up to
 * a limit, after which new frames are dropped like a full NIC queue drops them), and the buffers the driver made
 * available, oldest first.
 *
 * <p>Threads: frames arrive from any thread into a lock-free list and signal an eventfd that the SDK watches on this
 * queue's worker, which alone touches the held buffers; one wake-up per batch, not per frame.
 */
final class ReceiveQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiveQueue.class);

    private final int index;
    private final String name;
    private final NetCounters counters;
    private final int limit;
    /** Packets (header and frame) waiting for buffers, num_buffers still to be set. */
    private final ConcurrentLinkedQueue<byte[]> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingCount = new AtomicInteger();
    private final EventFd arrived = EventFd.create();
    /** Set from a frame's arrival until the worker wakes for it. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final ArrayDeque<Request> buffers = new ArrayDeque<>();
    private final AtomicLong delivered = new AtomicLong();
    private volatile boolean enabled;
    private volatile boolean tooSmallReported;

    /** {@code index} is the virtqueue's index; {@code limit} how many frames may wait. */
    ReceiveQueue(int index, String name, NetCounters counters, int limit) {
        this.index = index;
        this.name = name;
        this.counters = counters;
        this.limit = limit;
    }

    int index() {
        return index;
    }

    /** Whether the front-end enabled this queue (SET_VRING_ENABLE). */
    boolean enabled() {
        return enabled;
    }

    void enabled(boolean on) {
        enabled = on;
    }

    /** Frames placed in this queue's buffers. */
    long delivered() {
        return delivered.get();
    }

    /** Has {@code onArrival} called on this queue's worker when frames arrive. */
    void watch(DeviceContext context, Runnable onArrival) {
        context.watch(index, arrived.fd(), () -> {
            arrived.drain();
            wakePending.set(false); // cleared before the drain: a frame added after this signals again
            onArrival.run();
        });
    }

    /**
     * Takes a frame from the switch, with what its sender left to do ({@code offload}, null for none; the caller made
     * sure this driver takes it); from any thread. Its header is made here, in the one copy the frame gets.
     */
    void offer(byte[] frame, Offload offload) {
        if (waitingCount.incrementAndGet() > limit) {
            waitingCount.decrementAndGet();
            counters.rxDropped.incrementAndGet(); // the guest is not taking frames: like a full NIC queue, drop new ones
            return;
        }
        if (offload != null && offload.segments()) counters.rxSegmentation.incrementAndGet();
        waiting.add(packet(frame, offload));
        if (wakePending.compareAndSet(false, true)) arrived.signal();
    }

    /** Drops the frames waiting here (the queue was disabled: nothing will take them). */
    void dropWaiting() {
        while (waiting.poll() != null) {
            waitingCount.decrementAndGet();
            counters.rxDropped.incrementAndGet();
        }
    }

    /** A buffer the driver made available; on the worker. */
    void post(Request r) {
        buffers.add(r);
    }

    /**
     * Moves waiting frames into buffers while both last; on the worker. {@code mergeable}: MRG_RXBUF was negotiated.
     * {@code tooSmall} is the requirement a buffer that cannot hold a whole packet breaks without MRG_RXBUF.
     */
    void fill(boolean mergeable, String tooSmall) {
        byte[] packet;
        while ((packet = waiting.peek()) != null) {
            dropCancelled();
            if (buffers.isEmpty()) return;
            boolean done = mergeable ? placeMerged(packet) : placeSingle(packet, tooSmall);
            if (!done) return; // more buffers needed: wait for them
            waiting.poll();
            waitingCount.decrementAndGet();
        }
    }

    /** Without MRG_RXBUF a packet goes into one buffer [DEV-NET-032]; one that does not fit is dropped. */
    private boolean placeSingle(byte[] packet, String tooSmall) {
        Request r = buffers.peek();
        WritableBuffers w = r.writable();
        if (w.length() < packet.length) {
            counters.rxDropped.incrementAndGet();
            if (!tooSmallReported) {
                tooSmallReported = true;
                LOG.warn("{}: {}: receive buffer of {} bytes cannot hold a {}-byte packet with its header; such packets are dropped",
                        name, tooSmall, w.length(), packet.length);
            }
            return true;
        }
        buffers.poll();
        w.write(0, packet, 0, packet.length);
        r.complete(packet.length);
        counters.rxBuffers.incrementAndGet();
        counters.rxFrames.incrementAndGet();
        delivered.incrementAndGet();
        return true;
    }

    /**
     * With MRG_RXBUF a packet spans as many buffers as it needs, num_buffers saying how many [DEV-NET-034]; they are
     * completed together, in one worker turn, so the driver sees them all at once [DEV-NET-036]. Until enough buffers
     * are there the packet waits.
     */
    private boolean placeMerged(byte[] packet) {
        Request head;
        while ((head = buffers.peek()) != null && head.writable().length() < HEADER_BYTES) {
            buffers.poll();
            head.complete(0);
            LOG.warn("{}: DRV-NET-060: receive buffer of {} bytes is smaller than the virtio_net_hdr; returned empty", name, head.writable().length());
        }
        if (head == null) return false;
        long room = 0;
        int needed = 0;
        for (Iterator<Request> it = buffers.iterator(); it.hasNext() && room < packet.length; needed++) {
            room += it.next().writable().length();
        }
        if (room < packet.length) return false;
        packet[10] = (byte) needed; // num_buffers, little-endian at offset 10
        packet[11] = (byte) (needed >>> 8);
        int at = 0;
        for (int i = 0; i < needed; i++) {
            Request r = buffers.poll();
            WritableBuffers w = r.writable();
            int n = (int) Math.min(w.length(), packet.length - at);
            w.write(0, packet, at, n);
            at += n;
            r.complete(n);
        }
        counters.rxBuffers.addAndGet(needed);
        counters.rxFrames.incrementAndGet();
        delivered.incrementAndGet();
        return true;
    }

    /**
     * Buffers of a ring that stopped since they were taken are no longer the device's. A stop cancels every buffer
     * held then, and buffers of the restarted ring queue up behind them: only the head needs looking at.
     */
    private void dropCancelled() {
        while (!buffers.isEmpty() && buffers.peek().isCancelled()) buffers.poll();
    }

    /**
     * The header and the frame. Without an offload every field but num_buffers is 0: the checksum complete and no
     * segmentation [DEV-NET-037, DEV-NET-057]. With one, NEEDS_CSUM and the sender's checksum position, and for a
     * segmentation packet its type and size, hdr_len being the headers through TCP [DEV-NET-063].
     */
    static byte[] packet(byte[] frame, Offload offload) {
        byte[] p = new byte[HEADER_BYTES + frame.length];
        p[10] = 1; // num_buffers 1; a mergeable placement rewrites it
        if (offload != null) {
            p[0] = VirtioNet.FLAG_NEEDS_CSUM;
            if (offload.segments()) {
                p[1] = (byte) offload.gsoType();
                put16(p, 2, tcpHeadersEnd(frame, offload.csumStart(), offload.hdrLen()));
                put16(p, 4, offload.gsoSize());
            }
            put16(p, 6, offload.csumStart());
            put16(p, 8, offload.csumOffset());
        }
        System.arraycopy(frame, 0, p, HEADER_BYTES, frame.length);
        return p;
    }

    /** Where the TCP header starting at {@code tcp} ends, from its data offset; {@code fallback} if it lies outside. */
    private static int tcpHeadersEnd(byte[] frame, int tcp, int fallback) {
        if (tcp < 0 || tcp + 13 > frame.length) return fallback;
        return tcp + ((frame[tcp + 12] & 0xf0) >>> 4) * 4;
    }

    private static void put16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    @Override
    public void close() {
        arrived.close();
    }
}
