package dev.pvkit.backends.xennet;

import dev.pvkit.sdk.xen.BackendRing;
import dev.pvkit.sdk.xen.EventChannels;
import dev.pvkit.sdk.xen.GrantException;
import dev.pvkit.sdk.xen.GrantMapper;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.RingPages;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.netif.Netif;
import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.Offload;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One vif queue: a transmit ring the front-end fills with packets, a receive ring it fills with empty pages, and
 * one event channel for both or one each. Transmitted packets are judged whole (every slot published) before their
 * data is read, then answered slot by slot: OKAY for data, NULL for extra-info [DEV-XNET-001] [DEV-XNET-006], ERROR
 * for all slots of a refused packet. Received frames go into the front-end's pages, each response in the slot of
 * the request it used [DEV-XNET-002]; frames that find no page wait in a short queue, and are dropped past it.
 */
final class NetbackQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NetbackQueue.class);
    private static final int PENDING_FRAMES = 256;
    /** Grant references 0–7 belong to the toolstack (0 the console, 1 XenStore). */
    private static final int RESERVED_REFS = 8;

    private final int index;
    private final int frontendDomid;
    private final GrantMapper grants;
    private final GrantMapping txMapping;
    private final GrantMapping rxMapping;
    private final BackendRing tx;
    private final BackendRing rx;
    private final NetbackOptions options;
    /** Where transmitted frames go, with what the front-end left to the network (null: nothing). */
    private final BiConsumer<byte[], Offload> forward;
    private final XenNetListener listener;
    private final ByteBuffer slot = ByteBuffer.allocate(Netif.TX_SLOT);
    private final ByteBuffer rsp = ByteBuffer.allocate(Netif.TX_SLOT);
    private final ArrayDeque<byte[]> pending = new ArrayDeque<>();
    private volatile EventChannels.EventChannel txChannel;
    private volatile EventChannels.EventChannel rxChannel;
    private boolean closed;

    NetbackQueue(int index, int frontendDomid, GrantMapper grants, GrantMapping txMapping, GrantMapping rxMapping,
                 NetbackOptions options, BiConsumer<byte[], Offload> forward, XenObserver observer, XenNetListener listener) {
        this.index = index;
        this.frontendDomid = frontendDomid;
        this.grants = grants;
        this.txMapping = txMapping;
        this.rxMapping = rxMapping;
        this.options = options;
        this.forward = forward;
        this.listener = listener;
        this.tx = new BackendRing(2 * index, RingPages.of(txMapping), Netif.TX_SLOT, observer);
        this.rx = new BackendRing(2 * index + 1, RingPages.of(rxMapping), Netif.RX_SLOT, observer);
    }

    /** One channel for both rings, or (split) one for transmit and one for receive. */
    void bind(EventChannels events, int txPort, int rxPort) {
        txChannel = events.bindInterdomain(frontendDomid, txPort, rxPort == txPort ? this::onEvent : this::transmit);
        rxChannel = rxPort == txPort ? txChannel : events.bindInterdomain(frontendDomid, rxPort, this::flushPending);
        // The looks the bindings caused may have run before the channels were known here: look again now.
        onEvent();
    }

    BackendRing txRing() {
        return tx;
    }

    BackendRing rxRing() {
        return rx;
    }

    private void onEvent() {
        transmit();
        flushPending();
    }

    /** The last {@link #nextPacket()} found a packet whose slots are not all published yet. */
    private boolean waitingForRest;

    synchronized void transmit() {
        if (closed) return;
        do {
            TxPacket p;
            while ((p = nextPacket()) != null) {
                String[] problem = p.problem(options.gsoTcpv4());
                byte[] frame = null;
                if (problem == null) {
                    frame = copy(p);
                    if (frame == null) problem = new String[]{null, "a fragment's grant did not map"};
                }
                answer(p, problem == null ? Netif.RSP_OKAY : Netif.RSP_ERROR);
                listener.transmitted(index, p.slots(), p.extras().size(), p.size(), p.gso(), problem == null ? null : problem[0]);
                if (problem != null) {
                    LOG.warn("vif queue {}: packet of {} slots refused: {}{}", index, p.slots(), problem[1],
                            problem[0] == null ? "" : " [" + problem[0] + "]");
                } else {
                    forward.accept(frame, (p.fragments().get(0).flags() & Netif.TXF_CSUM_BLANK) != 0 ? checksumLeft(frame) : null);
                }
            }
            if (tx.pushResponses() && txChannel != null) txChannel.notifyPeer();
            // Only a packet found incomplete waits for the slots that finish it. Anything else takes the final check,
            // which also sees whole packets published since the last look: deciding by a fresh available() instead
            // took such a packet for an incomplete one, and the front-end, having published it while this loop
            // ran, had no reason to notify again [DEV-XRING-008].
        } while (waitingForRest ? tx.awaitMoreRequests() : tx.finalCheckForRequests());
    }

    /**
     * The next whole packet, consumed, or null when none is complete yet. A chain that never ends within a ring's
     * worth of slots is consumed as one refused packet.
     */
    private TxPacket nextPacket() {
        waitingForRest = false;
        if (tx.available() == 0) return null;
        List<Netif.TxRequest> frags = new ArrayList<>();
        List<Netif.ExtraInfo> extras = new ArrayList<>();
        int at = 0;
        Netif.TxRequest first = Netif.TxRequest.decode(tx.peekRequest(at++, slot));
        frags.add(first);
        if ((first.flags() & Netif.TXF_EXTRA_INFO) != 0) {
            Netif.ExtraInfo e;
            do {
                ByteBuffer b = tx.peekRequest(at++, slot);
                if (b == null) return incomplete();
                e = Netif.ExtraInfo.decode(b);
                extras.add(e);
            } while (e.more() && at < tx.entries());
        }
        Netif.TxRequest last = first;
        while (last.more() && at < tx.entries()) {
            ByteBuffer b = tx.peekRequest(at++, slot);
            if (b == null) return incomplete();
            last = Netif.TxRequest.decode(b);
            frags.add(last);
        }
        if (last.more() || (!extras.isEmpty() && extras.get(extras.size() - 1).more())) {
            // A ring's worth of slots and no end: take them all and refuse them.
            List<Netif.TxRequest> all = new ArrayList<>();
            for (int i = 0; i < at; i++) all.add(Netif.TxRequest.decode(tx.takeRequest(slot)));
            return TxPacket.runaway(all);
        }
        for (int i = 0; i < at; i++) tx.takeRequest(slot);
        return TxPacket.of(frags, extras);
    }

    /** The rest of the packet is not published yet: the front-end's next push completes it. */
    private TxPacket incomplete() {
        waitingForRest = true;
        return null;
    }

    /** Answers every slot of {@code p} in order: the data slots with {@code status}, the extra-info slots NULL. */
    private void answer(TxPacket p, int status) {
        int extras = p.extras().size();
        List<Netif.TxRequest> f = p.fragments();
        if (p.runaway()) {
            for (Netif.TxRequest r : f) tx.putResponse(Netif.txResponse(rsp, r.id(), Netif.RSP_ERROR));
            return;
        }
        tx.putResponse(Netif.txResponse(rsp, f.get(0).id(), status));
        for (int i = 0; i < extras; i++) tx.putResponse(Netif.txResponse(rsp, 0, Netif.RSP_NULL));
        for (int i = 1; i < f.size(); i++) tx.putResponse(Netif.txResponse(rsp, f.get(i).id(), status));
    }

    /**
     * What a csum_blank packet leaves to the network: its TCP or UDP checksum over IPv4, which the switch completes for
     * ports that cannot take it partial. Null for anything else (DRV-XNET-017 reserves the flag for TCP and UDP).
     */
    static Offload checksumLeft(byte[] frame) {
        int at = dev.pvkit.backends.net.Ipv4.AT;
        if (frame.length < at + 20 || Ethernet.type(frame) != Ethernet.TYPE_IPV4) return null;
        int ihl = (frame[at] & 0xf) * 4;
        int protocol = frame[at + 9] & 0xff;
        int l4 = at + ihl;
        if (protocol == 6 && frame.length >= l4 + 20) return Offload.checksum(l4, 16);
        if (protocol == 17 && frame.length >= l4 + 8) return Offload.checksum(l4, 6);
        return null;
    }

    /** Reads the packet out of the front-end's pages (mapped read-only), or null when a grant does not map. */
    private byte[] copy(TxPacket p) {
        byte[] frame = new byte[p.size()];
        int at = 0;
        for (int i = 0; i < p.fragments().size(); i++) {
            Netif.TxRequest f = p.fragments().get(i);
            int len = p.length(i);
            if (len == 0) continue;
            if (f.gref() >= 0 && f.gref() < RESERVED_REFS) {
                LOG.warn("vif queue {}: transmit fragment in the toolstack's grant {} [DRV-XEN-013]", index, f.gref());
                return null;
            }
            try (GrantMapping m = grants.map(frontendDomid, new int[]{f.gref()}, false)) {
                m.page(0).get(f.offset(), frame, at, len);
            } catch (GrantException e) {
                LOG.warn("vif queue {}: transmit fragment {} [DEV-XEN-001]", index, e.getMessage());
                return null;
            }
            at += len;
        }
        return frame;
    }

    /** A frame for the front-end: into its receive pages now, or queued until it posts some. */
    void receive(byte[] frame) {
        synchronized (this) {
            if (closed) return;
            if (pending.size() >= PENDING_FRAMES) {
                listener.received(index, frame.length, 0, true);
                return;
            }
            pending.add(frame);
        }
        flushPending();
    }

    synchronized void flushPending() {
        if (closed) return;
        do {
            while (!pending.isEmpty()) {
                byte[] frame = pending.peek();
                int slots = Math.max(1, (frame.length + 4095) / 4096);
                if (rx.available() < slots) break;
                pending.poll();
                fill(frame, slots);
            }
            if (rx.pushResponses() && rxChannel != null) rxChannel.notifyPeer();
            // Frames still waiting need more pages: be woken by the front-end's next receive request, and look
            // again only if one came meanwhile (a front-end that posts too few must not keep this thread spinning).
        } while (!pending.isEmpty() && rx.awaitMoreRequests());
    }

    private void fill(byte[] frame, int slots) {
        ByteBuffer b = ByteBuffer.allocate(Netif.RX_SLOT);
        for (int s = 0; s < slots; s++) {
            Netif.RxRequest req = Netif.RxRequest.decode(rx.takeRequest(b));
            int off = s * 4096;
            int len = Math.min(4096, frame.length - off);
            int status = len;
            if (req.gref() >= 0 && req.gref() < RESERVED_REFS) {
                // Grant 1 is the guest's XenStore page, granted to dom0: never write a frame into it.
                LOG.warn("vif queue {}: receive page in the toolstack's grant {} [DRV-XEN-013]", index, req.gref());
                rx.putResponse(Netif.rxResponse(b, req.id(), 0, 0, Netif.RSP_ERROR));
                continue;
            }
            try (GrantMapping m = grants.map(frontendDomid, new int[]{req.gref()}, true)) {
                m.page(0).put(0, frame, off, len);
            } catch (GrantException e) {
                LOG.warn("vif queue {}: receive page {} [DRV-XEN-003]", index, e.getMessage());
                status = Netif.RSP_ERROR;
            }
            int flags = (s < slots - 1 ? Netif.RXF_MORE_DATA : 0) | Netif.RXF_DATA_VALIDATED;
            rx.putResponse(Netif.rxResponse(b, req.id(), 0, flags, status));
        }
        listener.received(index, frame.length, slots, false);
    }

    @Override
    public void close() {
        if (txChannel != null) txChannel.close();
        if (rxChannel != null && rxChannel != txChannel) rxChannel.close();
        synchronized (this) {
            closed = true;
            pending.clear();
            txMapping.close();
            rxMapping.close();
        }
    }
}
