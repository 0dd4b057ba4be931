package dev.pvkit.backends.net;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static dev.pvkit.backends.net.VirtioNet.*;

/**
 * A virtio-net device with one or more receive/transmit queue pairs that is a port of an {@link EthernetSwitch}: what
 * the driver transmits goes to the switch after its header is judged ({@link TxHeaderCheck}); what the switch
 * delivers is steered to a receive queue ({@link FlowSteering}: the pair the flow was transmitted on, else the first)
 * and waits there (up to {@link NetOptions#waitingFrames()}) for the driver's receive buffers ({@link ReceiveQueue}).
 *
 * <p>Queue {@code 2p} receives and {@code 2p + 1} transmits for pair {@code p}; the last queue is the control queue
 * ({@link ControlQueue}: receive modes, MAC and VLAN filters, the number of pairs in use), which sets the port's
 * {@link ReceiveFilter}. QEMU's vhost-user-net serves the guest's control queue itself and never hands it over; PVKit's
 * own front-end and other front-ends that do hand it over are served here. Receive buffers are held until a frame
 * arrives ({@link #holdsRequests}); a stopping ring gives them back.
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
    private final ReceiveQueue[] receiveQueues;
    private final AtomicLongArray transmittedOn;
    private final FlowSteering steering = new FlowSteering();
    private final ReceiveFilter filter;
    private final int controlIndex;
    private volatile ControlQueue control;
    /** Pairs the driver asked for with VQ_PAIRS_SET on this device's control queue; 1 until then [DEV-NET-099]. */
    private volatile int activePairs = 1;
    private volatile NetTrafficListener listener;
    private volatile boolean linkUp = true;
    /** VIRTIO_NET_S_ANNOUNCE: asked for by {@link #announce}, cleared by the driver's ANNOUNCE_ACK or a reset. */
    private final AtomicBoolean announcing = new AtomicBoolean();
    private volatile DeviceContext context;

    public VirtioNetDevice(String name, EthernetSwitch sw, NetOptions options) {
        this.name = name;
        this.sw = sw;
        this.options = options;
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(F_MAC) | VirtioFeatures.bit(F_STATUS)
                | VirtioFeatures.bit(F_MTU);
        if (options.mergeableRx()) f |= VirtioFeatures.bit(F_MRG_RXBUF);
        if (options.checksumOffload()) {
            // Checksums and TCP segmentation both ways: the switch segments for a port that cannot take them.
            for (int b : new int[]{F_CSUM, F_HOST_TSO4, F_HOST_TSO6, F_GUEST_CSUM, F_GUEST_TSO4, F_GUEST_TSO6}) f |= VirtioFeatures.bit(b);
        }
        if (options.packed()) f |= VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
        if (options.queuePairs() > 1) f |= VirtioFeatures.bit(F_MQ);
        for (int b : new int[]{F_CTRL_VQ, F_CTRL_RX, F_CTRL_RX_EXTRA, F_CTRL_VLAN, F_CTRL_MAC_ADDR, F_GUEST_ANNOUNCE}) f |= VirtioFeatures.bit(b);
        this.offered = f;
        this.txCheck = new TxHeaderCheck(0, options.mtu());
        this.receiveQueues = new ReceiveQueue[options.queuePairs()];
        for (int p = 0; p < receiveQueues.length; p++) {
            receiveQueues[p] = new ReceiveQueue(2 * p, name + " rx" + p, counters, options.waitingFrames());
        }
        this.transmittedOn = new AtomicLongArray(options.queuePairs());
        this.filter = new ReceiveFilter(options.mac());
        this.controlIndex = 2 * options.queuePairs();
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

    /** Frames placed in receive buffers of queue pair {@code pair}. */
    public long receivedOn(int pair) {
        return receiveQueues[pair].delivered();
    }

    /** Packets the driver transmitted on queue pair {@code pair}, forwarded or not. */
    public long transmittedOn(int pair) {
        return transmittedOn.get(pair);
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
        return controlIndex + 1;
    }

    /** The control queue's index: after every receive/transmit pair. */
    public int controlQueue() {
        return controlIndex;
    }

    /** What the port accepts, as the driver's control commands set it. */
    public ReceiveFilter filter() {
        return filter;
    }

    @Override
    public int maxQueueSize() {
        return options.queueSize();
    }

    @Override
    public byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        byte[] mac = new byte[6];
        Ethernet.putMac(mac, 0, filter.primaryMac()); // MAC_ADDR_SET changes it [DEV-NET-090]
        b.put(CFG_MAC, mac);
        b.putShort(CFG_STATUS, (short) ((linkUp ? STATUS_LINK_UP : 0) | (announcing.get() ? STATUS_ANNOUNCE : 0)));
        b.putShort(CFG_MAX_VIRTQUEUE_PAIRS, (short) receiveQueues.length);
        b.putShort(CFG_MTU, (short) options.mtu());
        return b.array();
    }

    @Override
    public boolean holdsRequests(int queue) {
        return queue % 2 == 0 && queue < controlIndex;
    }

    /** A disabled transmit queue's packets are dropped, as a NIC with its link down drops them. */
    @Override
    public boolean discardsWhileDisabled() {
        return true;
    }

    /**
     * A receive queue beyond the first that is disabled takes no more frames, and those waiting for it are dropped:
     * QEMU disables the pairs a driver stops using (its answer to VQ_PAIRS_SET), and nothing would take them.
     */
    @Override
    public void queueEnabled(int queue, boolean enabled) {
        if (queue % 2 != 0 || queue >= controlIndex) return;
        ReceiveQueue q = receiveQueues[queue / 2];
        q.enabled(enabled);
        if (!enabled && queue != RX) q.dropWaiting();
    }

    @Override
    public void featuresNegotiated(long features) {
        negotiated = features;
        txCheck = new TxHeaderCheck(features, options.mtu());
        // The ack is written after this clears ANNOUNCE, so the driver never sees its ack used with ANNOUNCE still set [DEV-NET-095].
        control = new ControlQueue(features, receiveQueues.length, filter, n -> activePairs = n, () -> announcing.getAndSet(false));
        NetTrafficListener l = listener;
        if (l != null) l.featuresNegotiated(offered, features, options.mtu());
    }

    @Override
    public void reset() {
        negotiated = 0;
        txCheck = new TxHeaderCheck(0, options.mtu());
        steering.clear(); // after a reset only the first receive queue is used [DEV-NET-099]
        activePairs = 1;
        control = null;
        synchronized (announcing) {
            announcing.set(false);
        }
        filter.reset();
    }

    @Override
    public void attach(DeviceContext context) {
        this.context = context;
        for (ReceiveQueue q : receiveQueues) q.watch(context, () -> fill(q));
    }

    /**
     * Takes the link down or up: the status field's LINK_UP bit changes and the driver is told the configuration
     * changed; while it is down, frames from the switch are dropped and transmitted packets go nowhere.
     * Returns whether the driver could be told (a front-end without a back-end channel, or QEMU's vhost-user-net, which
     * shows the guest its own configuration space, cannot be: there use QEMU's monitor, {@code set_link}). A driver that
     * negotiated STATUS takes the link state from that bit [DRV-NET-006].
     */
    public boolean setLink(boolean up) {
        if (linkUp == up) return true;
        linkUp = up;
        DeviceContext c = context;
        return c != null && c.announceConfigChange();
    }

    public boolean linkUp() {
        return linkUp;
    }

    /**
     * Asks the driver to announce itself to its peers, as a device does after the guest moved (a migration): sets
     * ANNOUNCE in the status field and tells the driver the configuration changed. A driver that negotiated
     * GUEST_ANNOUNCE then sends gratuitous packets [DRV-NET-084] and acknowledges on the control queue [DRV-NET-085],
     * which clears the bit again. Returns false, asking nothing, unless the driver negotiated GUEST_ANNOUNCE and CTRL_VQ;
     * the request stands even when the driver could not be told (no back-end channel): it finds it on its next read of
     * the configuration. Under QEMU, which serves both the configuration space and the control queue itself, use QEMU's
     * monitor ({@code announce-self}) instead.
     */
    public boolean announce() {
        synchronized (announcing) { // against a reset between the check and the set, which would leave ANNOUNCE set
            long f = negotiated;
            if (!VirtioFeatures.has(f, F_GUEST_ANNOUNCE) || !VirtioFeatures.has(f, F_CTRL_VQ)) return false;
            announcing.set(true);
        }
        NetTrafficListener l = listener;
        if (l != null) l.announceRequested();
        DeviceContext c = context;
        if (c != null) c.announceConfigChange();
        return true;
    }

    /** Whether ANNOUNCE is set in the status field: asked for and not yet acknowledged. */
    public boolean announcing() {
        return announcing.get();
    }

    // ---------------------------------------------------------------- from the switch

    @Override
    public void deliver(byte[] frame) {
        receive(frame, null);
    }

    /**
     * A frame with its offload: passed on as it is, its header saying what is left to do, when the driver negotiated
     * the features for it (GUEST_CSUM for a partial checksum; GUEST_TSO4/6 for a TCP segmentation packet, and never
     * an ECN one, as GUEST_ECN is not offered [DEV-NET-039, DEV-NET-041]); otherwise as plain frames ({@link SwitchedFrame#plain}).
     */
    @Override
    public void deliver(SwitchedFrame switched) {
        Offload offload = switched.offload();
        if (offload != null && !takes(offload)) {
            List<byte[]> plain = switched.plain();
            if (plain.isEmpty()) counters.rxDropped.incrementAndGet(); // a segmentation packet that cannot be segmented
            for (byte[] f : plain) receive(f, null);
            return;
        }
        receive(switched.frame(), offload);
    }

    /** Steers a frame (with the offload its driver takes, or null) to a receive queue, unless the link or the filter stops it. */
    private void receive(byte[] frame, Offload offload) {
        if (!linkUp) {
            counters.rxDropped.incrementAndGet();
            return;
        }
        long f = negotiated;
        if ((VirtioFeatures.has(f, F_CTRL_RX) || VirtioFeatures.has(f, F_CTRL_VLAN)) && !filter.accepts(frame)) {
            counters.rxFiltered.incrementAndGet();
            return;
        }
        receiveQueues[pairFor(frame)].offer(frame, offload);
    }

    /** Whether this port's driver takes {@code o} as it is. */
    private boolean takes(Offload o) {
        long f = negotiated;
        if (!VirtioFeatures.has(f, F_GUEST_CSUM)) return false;
        if (!o.segments()) return true;
        return switch (o.gsoType()) { // the ECN bit set: not negotiable here, so not passed on
            case GSO_TCPV4 -> VirtioFeatures.has(f, F_GUEST_TSO4);
            case GSO_TCPV6 -> VirtioFeatures.has(f, F_GUEST_TSO6);
            default -> false;
        };
    }

    /**
     * The pair a frame is received on: its flow's transmit pair when that pair is in use, else the first. A pair
     * beyond the first is in use only when MQ was negotiated, the front-end enabled its receive queue and, when this
     * device serves the control queue, the driver asked for that many pairs with VQ_PAIRS_SET (QEMU, which serves it
     * itself, enables exactly those pairs): no frame lands beyond them [DEV-NET-100].
     */
    private int pairFor(byte[] frame) {
        long f = negotiated;
        if (receiveQueues.length == 1 || !VirtioFeatures.has(f, F_MQ)) return 0;
        int p = steering.pairFor(frame);
        int limit = VirtioFeatures.has(f, F_CTRL_VQ) ? activePairs : receiveQueues.length;
        return p > 0 && p < limit && receiveQueues[p].enabled() ? p : 0;
    }

    // ---------------------------------------------------------------- the queues

    @Override
    public void submit(Request request) {
        int q = request.queue();
        int pair = q / 2;
        if (q == controlIndex) {
            control(request);
        } else if (pair >= receiveQueues.length) {
            request.complete(0);
        } else if (q % 2 == 0) {
            NetTrafficListener l = listener;
            if (l != null) l.receiveBuffer(q, request.chain().id(), request.chain().writableBytes(), request.readable().length());
            ReceiveQueue rq = receiveQueues[pair];
            rq.post(request);
            fill(rq);
        } else {
            transmittedOn.incrementAndGet(pair);
            transmit(pair, request);
        }
    }

    /** Moves frames waiting on {@code q} into its buffers; on its worker. With no driver yet frames wait. */
    private void fill(ReceiveQueue q) {
        long features = negotiated;
        if (features == 0) return;
        q.fill(VirtioFeatures.has(features, F_MRG_RXBUF), VirtioFeatures.has(features, F_MTU) ? "DRV-NET-008" : "DRV-NET-059");
    }

    /** Serves one control command: its effect, then the ack byte [DEV-NET-089]; findings are logged as transmit ones are. */
    private void control(Request r) {
        ControlQueue c = control;
        if (c == null) { // no negotiation yet: nothing to judge the command against
            r.complete(0);
            return;
        }
        ControlQueue.Outcome o = c.serve(r.readable(), r.writable());
        r.complete(o.written());
        for (NetFinding f : o.findings()) {
            if (counters.found(f)) LOG.warn("{}: control queue: {}", name, f.commandLine());
            else LOG.debug("{}: control queue: {}", name, f.commandLine());
        }
        NetTrafficListener l = listener;
        if (l != null) l.controlCommand(r.queue(), r.chain().id(), o.command(), o.ack(), o.findings());
    }

    /** Reads the packet, gives the chain back, judges the header and forwards the frame unless a finding drops it. */
    private void transmit(int pair, Request r) {
        ReadableBuffers in = r.readable();
        long length = in.length();
        NetHeader header = null;
        byte[] frame = null;
        int frameBytes = (int) Math.min(Math.max(length - HEADER_BYTES, 0), Integer.MAX_VALUE);
        if (length >= HEADER_BYTES) {
            byte[] h = new byte[HEADER_BYTES];
            in.read(0, h, 0, HEADER_BYTES); // across descriptors if the driver split it: never assumed whole in one
            header = NetHeader.decode(h);
            // Bounded: what a hostile driver can make the device hold per packet. Only a segmentation packet may be
            // longer than a jumbo frame; a longer one without gso_type is dropped unread.
            int limit = (header.gsoType() & ~GSO_ECN) == GSO_NONE ? MAX_FRAME : MAX_GSO_FRAME;
            if (frameBytes <= limit) {
                frame = new byte[frameBytes];
                in.read(HEADER_BYTES, frame, 0, frameBytes);
            }
        }
        NetTrafficListener l = listener;
        if (l != null) {
            boolean whole = frame != null && frame.length >= ETH_HEADER;
            l.transmitted(r.queue(), r.chain().id(), header, length, frameBytes, whole ? Ethernet.source(frame) : -1,
                    whole ? Ethernet.destination(frame) : -1, whole ? Ethernet.type(frame) : -1, whole && Announcement.of(frame),
                    r.chain().writableBytes());
        }
        r.complete(0);
        List<NetFinding> findings = txCheck.check(header, length, frameBytes);
        boolean drop = frame == null;
        for (NetFinding f : findings) {
            drop |= f.dropped();
            if (counters.found(f)) LOG.warn("{}: transmit queue: {}", name, f.line());
            else LOG.debug("{}: transmit queue: {}", name, f.line());
        }
        if (drop) {
            counters.txDropped.incrementAndGet();
            return;
        }
        if (!linkUp) { // a NIC with its link down sends nothing out
            counters.txDropped.incrementAndGet();
            return;
        }
        counters.txFrames.incrementAndGet();
        if (receiveQueues.length > 1) steering.learn(frame, pair);
        Offload offload = offloadOf(header);
        if (offload != null && offload.segments()) counters.txSegmentation.incrementAndGet();
        sw.forward(this, frame, offload);
    }

    /**
     * What the driver left to the network (the check already refused what was not negotiated): a checksum under CSUM,
     * and segmentation under HOST_TSO4/6. Null for a packet complete as it is.
     */
    private Offload offloadOf(NetHeader h) {
        if ((h.flags() & FLAG_NEEDS_CSUM) == 0 || !VirtioFeatures.has(negotiated, F_CSUM)) return null;
        return new Offload(h.gsoType(), h.gsoSize(), h.hdrLen(), h.csumStart(), h.csumOffset());
    }

    /** Takes the port off the switch and closes its eventfd; serve it no longer. */
    @Override
    public void close() {
        sw.detach(this);
        for (ReceiveQueue q : receiveQueues) q.close();
    }
}
