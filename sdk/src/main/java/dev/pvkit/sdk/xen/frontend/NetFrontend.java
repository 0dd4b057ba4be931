package dev.pvkit.sdk.xen.frontend;

import dev.pvkit.sdk.xen.FrontendRing;
import dev.pvkit.sdk.xen.RingPages;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.netif.Netif;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A netfront in Java with one queue: a transmit ring whose packets go out in page-sized fragments, and a receive
 * ring kept full of granted pages. It uses split event channels when the back-end offers them.
 * {@link #sendSlots} puts any slots on the transmit ring, malformed ones included.
 */
public final class NetFrontend implements AutoCloseable {
    private static final int RX_BUFFERS = 64;

    private final EmulatedDomain domain;
    private final int backendDomid;
    private final String path;
    private String backendPath;
    private FrontendRing tx;
    private FrontendRing rx;
    private final int[] ringRefs = new int[2];
    private int txPort;
    private int rxPort;
    private final ByteBuffer[] rxPages = new ByteBuffer[RX_BUFFERS];
    private final int[] rxRefs = new int[RX_BUFFERS];
    private final Map<Integer, List<Integer>> txGrants = new HashMap<>();
    private final Map<Integer, Integer> txStatus = new HashMap<>();
    private final BlockingQueue<byte[]> received = new LinkedBlockingQueue<>();
    private final List<byte[]> partial = new ArrayList<>();
    private int nextId;

    public NetFrontend(EmulatedDomain domain, int backendDomid, String frontendPath) {
        this.domain = domain;
        this.backendDomid = backendDomid;
        this.path = frontendPath;
    }

    /** Waits for InitWait, sets up both rings and the receive pages, Initialised, waits for Connected, Connected. */
    public void connect(Duration timeout) throws TimeoutException, InterruptedException {
        XenStore store = domain.store();
        backendPath = store.read(path + "/backend").orElseThrow(() -> new XenException("no backend node under " + path));
        awaitBackend(timeout, XenbusState.INIT_WAIT);
        boolean split = store.read(backendPath + "/feature-split-event-channels").map("1"::equals).orElse(false);
        ByteBuffer txPage = domain.allocatePage();
        ByteBuffer rxPage = domain.allocatePage();
        tx = new FrontendRing(new RingPages(txPage), Netif.TX_SLOT);
        rx = new FrontendRing(new RingPages(rxPage), Netif.RX_SLOT);
        ringRefs[0] = domain.grantAccess(backendDomid, txPage, false);
        ringRefs[1] = domain.grantAccess(backendDomid, rxPage, false);
        txPort = domain.allocUnbound(backendDomid, split ? this::txDone : this::onEvent);
        rxPort = split ? domain.allocUnbound(backendDomid, this::rxDone) : txPort;
        ByteBuffer slot = ByteBuffer.allocate(Netif.RX_SLOT);
        for (int i = 0; i < RX_BUFFERS; i++) {
            rxPages[i] = domain.allocatePage();
            rxRefs[i] = domain.grantAccess(backendDomid, rxPages[i], false);
            rx.queueRequest(new Netif.RxRequest(i, rxRefs[i]).encode(slot));
        }
        rx.pushRequests();
        store.inTransaction(t -> {
            t.write(path + "/tx-ring-ref", Integer.toString(ringRefs[0]));
            t.write(path + "/rx-ring-ref", Integer.toString(ringRefs[1]));
            if (split) {
                t.write(path + "/event-channel-tx", Integer.toString(txPort));
                t.write(path + "/event-channel-rx", Integer.toString(rxPort));
            } else {
                t.write(path + "/event-channel", Integer.toString(txPort));
            }
            t.write(path + "/request-rx-copy", "1");
            t.write(path + "/feature-rx-notify", "1");
            t.write(path + "/feature-sg", "1");
            t.write(path + "/state", XenbusState.INITIALISED.text());
        });
        awaitBackend(timeout, XenbusState.CONNECTED);
        store.write(path + "/state", XenbusState.CONNECTED.text());
    }

    public EmulatedDomain domain() {
        return domain;
    }

    /** The MAC the toolstack gave this vif. */
    public String mac() {
        return domain.store().read(path + "/mac").orElse("");
    }

    /** Sends a frame in fragments of at most a page, each in its own granted page. */
    public synchronized void send(byte[] frame) {
        int n = Math.max(1, (frame.length + 4095) / 4096);
        List<Netif.TxRequest> slots = new ArrayList<>();
        List<Integer> grants = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ByteBuffer page = domain.allocatePage();
            int len = Math.min(4096, frame.length - i * 4096);
            page.put(0, frame, i * 4096, len);
            int ref = domain.grantAccess(backendDomid, page, true);
            grants.add(ref);
            int id = nextId++ & 0xffff;
            slots.add(new Netif.TxRequest(ref, 0, i < n - 1 ? Netif.TXF_MORE_DATA : 0, id, i == 0 ? frame.length : len));
        }
        txGrants.put(slots.get(0).id(), grants);
        sendSlots(slots.stream().map(r -> r.encode(ByteBuffer.allocate(Netif.TX_SLOT))).toList());
    }

    /** Puts these 12-byte slots on the transmit ring as they are, and notifies as the ring rule says. */
    public synchronized void sendSlots(List<ByteBuffer> slots) {
        for (ByteBuffer s : slots) tx.queueRequest(s);
        if (tx.pushRequests()) domain.send(txPort);
    }

    /** Waits until every transmit slot sent so far has its response consumed. */
    public void awaitTransmitted(Duration timeout) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            synchronized (this) {
                if (tx.outstanding() == 0) return;
            }
            if (System.nanoTime() > end) throw new TimeoutException("transmit responses still outstanding");
            Thread.sleep(1);
        }
    }

    /** The next received frame, or null after {@code timeout}. */
    public byte[] receive(Duration timeout) throws InterruptedException {
        return received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The status the back-end gave the transmit request {@code id}, once answered. */
    public synchronized Integer txStatus(int id) {
        return txStatus.get(id);
    }

    private void onEvent() {
        txDone();
        rxDone();
    }

    private synchronized void txDone() {
        ByteBuffer b = ByteBuffer.allocate(Netif.TX_SLOT);
        do {
            while (tx.takeResponse(b) != null) {
                b.order(java.nio.ByteOrder.LITTLE_ENDIAN);
                int id = b.getShort(0) & 0xffff;
                int status = b.getShort(2);
                if (status != Netif.RSP_NULL) txStatus.put(id, status);
                List<Integer> grants = txGrants.remove(id);
                if (grants != null) grants.forEach(domain::endAccess);
            }
        } while (tx.finalCheckForResponses());
    }

    private synchronized void rxDone() {
        ByteBuffer b = ByteBuffer.allocate(Netif.RX_SLOT);
        ByteBuffer slot = ByteBuffer.allocate(Netif.RX_SLOT);
        boolean reposted = false;
        do {
            while (rx.takeResponse(b) != null) {
                b.order(java.nio.ByteOrder.LITTLE_ENDIAN);
                int id = b.getShort(0) & 0xffff;
                int offset = b.getShort(2) & 0xffff;
                int flags = b.getShort(4) & 0xffff;
                int status = b.getShort(6);
                if (id < RX_BUFFERS && status > 0 && offset + status <= 4096) {
                    byte[] chunk = new byte[status];
                    rxPages[id].get(offset, chunk, 0, status);
                    partial.add(chunk);
                }
                if ((flags & Netif.RXF_MORE_DATA) == 0 && !partial.isEmpty()) {
                    received.add(concat(partial));
                    partial.clear();
                }
                if (id < RX_BUFFERS) {
                    rx.queueRequest(new Netif.RxRequest(id, rxRefs[id]).encode(slot));
                    reposted = true;
                }
            }
        } while (rx.finalCheckForResponses());
        if (reposted && rx.pushRequests()) domain.send(rxPort);
    }

    private static byte[] concat(List<byte[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        byte[] all = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private void awaitBackend(Duration timeout, XenbusState wanted) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (XenbusState.of(domain.store().read(backendPath + "/state")) != wanted) {
            if (System.nanoTime() > end) throw new TimeoutException("back-end " + backendPath + " never reached " + wanted);
            Thread.sleep(1);
        }
    }

    @Override
    public void close() throws TimeoutException, InterruptedException {
        domain.store().write(path + "/state", XenbusState.CLOSING.text());
        awaitBackend(Duration.ofSeconds(10), XenbusState.CLOSED);
        domain.closePort(txPort);
        if (rxPort != txPort) domain.closePort(rxPort);
        for (int ref : ringRefs) domain.endAccess(ref);
        for (int ref : rxRefs) domain.endAccess(ref);
        domain.store().write(path + "/state", XenbusState.CLOSED.text());
    }
}
