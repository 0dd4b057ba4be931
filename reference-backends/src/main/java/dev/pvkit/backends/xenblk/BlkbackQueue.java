package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.BackendRing;
import dev.pvkit.sdk.xen.EventChannels;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.RingPages;
import dev.pvkit.sdk.xen.XenObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * One blkif ring and its event channel. Each event drains the ring: take a request (a private copy), serve it,
 * write its response; publish the responses and notify per the ring's rule; then the final check before idling
 * (spec §9.2). A broken ring serves nothing more; its front-end must reconnect.
 */
final class BlkbackQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BlkbackQueue.class);
    /** Responses published per push at most: bounds the front-end's wait on a long burst. */
    private static final int BATCH = 32;

    private final int index;
    private final GrantMapping ringMapping;
    private final BackendRing ring;
    private final BlkifProtocol protocol;
    private final BlkifRequestHandler handler;
    private final XenObserver observer;
    private final XenBlkListener listener;
    private final ByteBuffer request;
    private final ByteBuffer response;
    private volatile EventChannels.EventChannel channel;
    private boolean closed;

    BlkbackQueue(int index, GrantMapping ringMapping, BlkifProtocol protocol, BlkifRequestHandler handler,
                 XenObserver observer, XenBlkListener listener) {
        this.index = index;
        this.ringMapping = ringMapping;
        this.protocol = protocol;
        this.handler = handler;
        this.observer = observer;
        this.listener = listener;
        this.ring = new BackendRing(index, RingPages.of(ringMapping), protocol.slotSize(), observer);
        this.request = ByteBuffer.allocate(protocol.slotSize());
        this.response = ByteBuffer.allocate(protocol.slotSize());
    }

    /** Binds the channel; binding leaves an event pending, so the ring is looked at once right away. */
    void bind(EventChannels events, int frontendDomid, int port) {
        channel = events.bindInterdomain(frontendDomid, port, this::onEvent);
        // The look the binding itself caused may have run before the channel was known here, and so could not
        // notify: look again now that it is.
        drain();
    }

    int localPort() {
        return channel.localPort();
    }

    BackendRing ring() {
        return ring;
    }

    private void onEvent() {
        observer.eventReceived(index);
        drain();
    }

    synchronized void drain() {
        if (closed) return;
        do {
            int sinceLastPush = 0;
            while (ring.available() > 0) {
                BlkifRequest r = protocol.decode(ring.takeRequest(request));
                BlkifRequestHandler.Outcome out = handler.serve(r);
                // An INDIRECT request is answered with its data direction, which Linux's blkfront insists on [DEV-XBLK-022].
                ring.putResponse(protocol.encodeResponse(response, r.id(), r.dataOperation(), out.status()));
                listener.answered(index, r, out.status(), out.refused());
                if (++sinceLastPush == BATCH) {
                    push();
                    sinceLastPush = 0;
                }
            }
            push();
        } while (ring.finalCheckForRequests());
        if (ring.broken()) {
            LOG.warn("blkif ring {}: the front-end overran the ring; it is no longer served", index);
        }
    }

    private void push() {
        if (ring.pushResponses() && channel != null) channel.notifyPeer();
    }

    /** Stops serving: the channel closes first (no more events), then the ring is unmapped [DEV-XEN-008]. */
    @Override
    public void close() {
        if (channel != null) channel.close();
        synchronized (this) {
            closed = true;
            handler.close();
            ringMapping.close();
        }
    }
}
