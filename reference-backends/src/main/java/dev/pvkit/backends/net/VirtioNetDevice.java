package dev.pvkit.backends.net;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.pvkit.backends.net.VirtioNet.*;

/**
 * A virtio-net device (one receive and one transmit queue) that is a port of an {@link EthernetSwitch}: what the
 * driver transmits goes to the switch after its header is judged ({@link TxHeaderCheck}); what the switch delivers
 * waits (up to {@link NetOptions#waitingFrames()}) for the driver's receive buffers.
 *
 * <p>Threads: the switch delivers from any thread into a lock-free list and signals an eventfd that the SDK watches
 * on the receive queue's worker, which alone touches the held receive buffers. Receive buffers are held until a
 * frame arrives ({@link #holdsRequests}); a stopping ring gives them up at once.
 */
public final class VirtioNetDevice implements VirtioDevice, SwitchPort, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VirtioNetDevice.class);

    private final String name;
    private final EthernetSwitch sw;
    private final NetOptions options;
    private final long offered;
    private final NetCounters counters = new NetCounters();
    private volatile long negotiated;
    private volatile TxHeaderCheck txCheck;

    /** Frames the switch delivered that wait for receive buffers, and their number. */
    private final ConcurrentLinkedQueue<byte[]> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger waitingCount = new AtomicInteger();
    /** Signalled when a frame arrives; watched on the receive queue's worker. */
    private final EventFd arrived = EventFd.create();
    /** Set from a frame's arrival until the receive worker wakes for it. */
    private final java.util.concurrent.atomic.AtomicBoolean wakePending = new java.util.concurrent.atomic.AtomicBoolean();
    /** Receive buffers the driver made available, oldest first; only on the receive queue's worker. */
    private final ArrayDeque<Request> rxBuffers = new ArrayDeque<>();
    private volatile boolean rxTooSmallReported;
    private volatile NetTrafficListener listener;

    public VirtioNetDevice(String name, EthernetSwitch sw, NetOptions options) {
        this.name = name;
        this.sw = sw;
        this.options = options;
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(F_MAC) | VirtioFeatures.bit(F_STATUS)
                | VirtioFeatures.bit(F_MTU);
        if (options.mergeableRx()) f |= VirtioFeatures.bit(F_MRG_RXBUF);
        if (options.checksumOffload()) f |= VirtioFeatures.bit(F_CSUM);
        if (options.packed()) f |= VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        this.offered = f;
        this.txCheck = new TxHeaderCheck(0, options.mtu());
        sw.attach(this);
    }

    @Override
    public String name() {
        return name;
    }

    /** Reports every packet transmitted, receive buffer posted and negotiation to {@code l} from now on; null stops. Returns this device. */
    public VirtioNetDevice trafficListener(NetTrafficListener l) {
        listener = l;
        return this;
    }

    public NetCounters counters() {
        return counters;
    }

    public NetOptions options() {
        return options;
    }

    /** Features the driver acknowledged (0 before negotiation and after a reset). */
    public long negotiatedFeatures() {
        return negotiated;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        return offered;
    }

    @Override
    public int queueCount() {
        return 2;
    }

    @Override
    public int maxQueueSize() {
        return options.queueSize();
    }

    @Override
    public byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] mac = new byte[6];
        Ethernet.putMac(mac, 0, options.mac());
        b.put(CFG_MAC, mac);
        b.putShort(CFG_STATUS, (short) STATUS_LINK_UP);
        b.putShort(CFG_MAX_VIRTQUEUE_PAIRS, (short) 1);
        b.putShort(CFG_MTU, (short) options.mtu());
        return b.array();
    }

    @Override
    public boolean holdsRequests(int queue) {
        return queue == RX;
    }

    /** A disabled transmit queue's packets are dropped, as a NIC with its link down drops them. */
    @Override
    public boolean discardsWhileDisabled() {
        return true;
    }

    @Override
    public void featuresNegotiated(long features) {
        negotiated = features;
        txCheck = new TxHeaderCheck(features, options.mtu());
        NetTrafficListener l = listener;
        if (l != null) l.featuresNegotiated(offered, features, options.mtu());
    }

    @Override
    public void reset() {
        negotiated = 0;
        txCheck = new TxHeaderCheck(0, options.mtu());
    }

    @Override
    public void attach(DeviceContext context) {
        context.watch(RX, arrived.fd(), () -> {
            arrived.drain();
            wakePending.set(false);
            receive();
        });
    }

    // ---------------------------------------------------------------- from the switch

    @Override
    public void deliver(byte[] frame) {
        if (waitingCount.incrementAndGet() > options.waitingFrames()) {
            waitingCount.decrementAndGet();
            counters.rxDropped.incrementAndGet(); // the guest is not taking frames: like a full NIC queue, drop new ones
            return;
        }
        waiting.add(frame);
        // One wake-up per batch, not per frame: the worker clears the flag before it drains, so a frame added after
        // that signals again, and one added before is drained in this pass.
        if (wakePending.compareAndSet(false, true)) arrived.signal();
    }

    // ---------------------------------------------------------------- the queues

    @Override
    public void submit(Request request) {
        switch (request.queue()) {
            case RX -> {
                NetTrafficListener l = listener;
                if (l != null) l.receiveBuffer(RX, request.chain().id(), request.chain().writableBytes(), request.readable().length());
                rxBuffers.add(request);
                receive();
            }
            case TX -> transmit(request);
            default -> request.complete(0);
        }
    }

    /** Moves waiting frames into receive buffers while both last; on the receive queue's worker. */
    private void receive() {
        long features = negotiated;
        if (features == 0) return; // no driver yet: frames wait
        boolean mergeable = VirtioFeatures.has(features, F_MRG_RXBUF);
        byte[] frame;
        while ((frame = waiting.peek()) != null) {
            dropCancelled();
            if (rxBuffers.isEmpty()) return;
            byte[] packet = withHeader(frame);
            boolean done = mergeable ? placeMerged(packet) : placeSingle(packet);
            if (!done) return; // more buffers needed: wait for them
            waiting.poll();
            waitingCount.decrementAndGet();
        }
    }

    /** Without MRG_RXBUF a packet goes into one buffer [DEV-NET-032]; one that does not fit is dropped. */
    private boolean placeSingle(byte[] packet) {
        Request r = rxBuffers.peek();
        WritableBuffers w = r.writable();
        if (w.length() < packet.length) {
            counters.rxDropped.incrementAndGet();
            if (!rxTooSmallReported) {
                rxTooSmallReported = true;
                LOG.warn("{}: {}: receive buffer of {} bytes cannot hold a {}-byte packet with its header; such packets are dropped",
                        name, VirtioFeatures.has(negotiated, F_MTU) ? "DRV-NET-008" : "DRV-NET-059", w.length(), packet.length);
            }
            return true;
        }
        rxBuffers.poll();
        w.write(0, packet, 0, packet.length);
        r.complete(packet.length);
        counters.rxBuffers.incrementAndGet();
        counters.rxFrames.incrementAndGet();
        return true;
    }

    /**
     * With MRG_RXBUF a packet spans as many buffers as it needs, num_buffers saying how many [DEV-NET-034]; they are
     * completed together, in one worker turn, so the driver sees them all at once [DEV-NET-036]. Until enough buffers
     * are there the packet waits.
     */
    private boolean placeMerged(byte[] packet) {
        Request head;
        while ((head = rxBuffers.peek()) != null && head.writable().length() < HEADER_BYTES) {
            rxBuffers.poll();
            head.complete(0);
            LOG.warn("{}: DRV-NET-060: receive buffer of {} bytes is smaller than the virtio_net_hdr; returned empty", name, head.writable().length());
        }
        if (head == null) return false;
        long room = 0;
        int needed = 0;
        for (Iterator<Request> it = rxBuffers.iterator(); it.hasNext() && room < packet.length; needed++) {
            room += it.next().writable().length();
        }
        if (room < packet.length) return false;
        packet[10] = (byte) needed; // num_buffers, little-endian at offset 10
        packet[11] = (byte) (needed >>> 8);
        int at = 0;
        for (int i = 0; i < needed; i++) {
            Request r = rxBuffers.poll();
            WritableBuffers w = r.writable();
            int n = (int) Math.min(w.length(), packet.length - at);
            w.write(0, packet, at, n);
            at += n;
            r.complete(n);
        }
        counters.rxBuffers.addAndGet(needed);
        counters.rxFrames.incrementAndGet();
        return true;
    }

    /**
     * Receive buffers of a ring that stopped since they were taken are no longer the device's. A stop cancels every
     * buffer held then, and buffers of the restarted ring queue up behind them: only the head needs looking at.
     */
    private void dropCancelled() {
        while (!rxBuffers.isEmpty() && rxBuffers.peek().isCancelled()) rxBuffers.poll();
    }

    private static byte[] withHeader(byte[] frame) {
        byte[] p = new byte[HEADER_BYTES + frame.length];
        p[10] = 1; // num_buffers 1: every other field 0, the checksum complete and no segmentation [DEV-NET-037, DEV-NET-057]
        System.arraycopy(frame, 0, p, HEADER_BYTES, frame.length);
        return p;
    }

    /** Reads the packet, gives the chain back, judges the header and forwards the frame unless a finding drops it. */
    private void transmit(Request r) {
        ReadableBuffers in = r.readable();
        long length = in.length();
        NetHeader header = null;
        byte[] frame = null;
        int frameBytes = (int) Math.min(Math.max(length - HEADER_BYTES, 0), Integer.MAX_VALUE);
        if (length >= HEADER_BYTES) {
            byte[] h = new byte[HEADER_BYTES];
            in.read(0, h, 0, HEADER_BYTES); // across descriptors if the driver split it: never assumed whole in one
            header = NetHeader.decode(h);
            if (frameBytes <= MAX_FRAME) {
                frame = new byte[frameBytes];
                in.read(HEADER_BYTES, frame, 0, frameBytes);
            }
        }
        NetTrafficListener l = listener;
        if (l != null) {
            long source = frame != null && frame.length >= ETH_HEADER ? Ethernet.source(frame) : -1;
            l.transmitted(TX, r.chain().id(), header, length, frameBytes, source, r.chain().writableBytes());
        }
        r.complete(0);
        List<TxFinding> findings = txCheck.check(header, length, frameBytes);
        boolean drop = frame == null;
        for (TxFinding f : findings) {
            drop |= f.dropped();
            if (counters.found(f)) LOG.warn("{}: transmit queue: {}", name, f.line());
            else LOG.debug("{}: transmit queue: {}", name, f.line());
        }
        if (drop) {
            counters.txDropped.incrementAndGet();
            return;
        }
        // No port takes partial checksums (GUEST_CSUM is not offered): complete the one the driver left to the device.
        if (header != null && (header.flags() & FLAG_NEEDS_CSUM) != 0 && VirtioFeatures.has(negotiated, F_CSUM)) {
            completeChecksum(frame, header.csumStart(), header.csumOffset());
        }
        counters.txFrames.incrementAndGet();
        sw.forward(this, frame);
    }

    /**
     * NEEDS_CSUM: the field at {@code start + offset} holds the pseudo-header sum, and the ones'-complement sum from
     * {@code start} to the frame's end, stored there, completes the packet (virtio 5.1.6.2). The check already made
     * sure the field lies inside the frame [DRV-NET-041].
     */
    static void completeChecksum(byte[] frame, int start, int offset) {
        int at = start + offset;
        int sum = Ipv4.checksum(frame, start, frame.length - start, 0);
        // The field's own bytes are part of the sum: the result replaces them.
        Ipv4.put16(frame, at, sum);
    }

    /** Takes the port off the switch and closes its eventfd; serve it no longer. */
    @Override
    public void close() {
        sw.detach(this);
        arrived.close();
    }
}
