package dev.pvkit.sdk.xen.frontend;

import dev.pvkit.sdk.xen.FrontendRing;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.RingPages;
import dev.pvkit.sdk.xen.XenException;
import dev.pvkit.sdk.xen.XenNumbers;
import dev.pvkit.sdk.xen.XenStore;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A blkfront in Java: connects to a vbd back-end through the XenbusState handshake (spec §9.8), runs one or more
 * rings, and moves data through granted pages. It takes what the back-end offers, up to what its {@link Options}
 * ask for. {@link #submit} puts any request on a ring, malformed ones included, so tests can be hostile.
 */
public final class BlkFrontend implements AutoCloseable {
    private static final int PAGE = GrantMapping.PAGE_SIZE;

    /** What the front-end asks for; the back-end's offer caps each. */
    public record Options(BlkifProtocol protocol, int ringPageOrder, int queues, boolean indirect, Persistence persistence) {
        public Options(BlkifProtocol protocol, int ringPageOrder, int queues, boolean indirect) {
            this(protocol, ringPageOrder, queues, indirect, Persistence.OFF);
        }

        public static Options defaults() {
            return new Options(BlkifProtocol.X86_64, 0, 1, false);
        }

        public Options withPersistence(Persistence p) {
            return new Options(protocol, ringPageOrder, queues, indirect, p);
        }
    }

    /**
     * Whether data pages are persistent grants ({@code feature-persistent}): a pool granted once and reused, revoked
     * only at close. {@link #READ_ONLY} is a deliberately wrong front-end's: it asks for persistent grants but grants
     * its pool read-only, which DRV-XBLK-013 forbids.
     */
    public enum Persistence { OFF, ON, READ_ONLY }

    /** A page of the persistent pool and its grant. */
    private record Granted(ByteBuffer page, int ref) {
    }

    private final java.util.Deque<Granted> pool = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final List<Granted> granted = new java.util.concurrent.CopyOnWriteArrayList<>();
    private boolean persistent;

    private final EmulatedDomain domain;
    private final int backendDomid;
    private final String path;
    private final Options asked;
    private final AtomicLong ids = new AtomicLong(1);
    private final List<Ring> rings = new ArrayList<>();
    private String backendPath;
    private long sectors;
    private int sectorSize;
    private int maxIndirect;
    private boolean flush;
    private boolean discard;

    /** One ring: its pages' grants, its port, and the requests waiting for a response. */
    private final class Ring {
        final FrontendRing ring;
        final int[] refs;
        final int port;
        final Map<Long, CompletableFuture<Integer>> waiting = new ConcurrentHashMap<>();
        final ByteBuffer slot;

        Ring(int order) {
            int pages = 1 << order;
            ByteBuffer[] mem = new ByteBuffer[pages];
            for (int i = 0; i < pages; i++) mem[i] = domain.allocatePage();
            ring = new FrontendRing(new RingPages(mem), asked.protocol().slotSize());
            refs = new int[pages];
            for (int i = 0; i < pages; i++) refs[i] = domain.grantAccess(backendDomid, mem[i], false);
            port = domain.allocUnbound(backendDomid, this::responses);
            slot = ByteBuffer.allocate(asked.protocol().slotSize());
        }

        synchronized CompletableFuture<Integer> submit(BlkifRequest r) {
            if (ring.free() <= 0) throw new IllegalStateException("ring full");
            CompletableFuture<Integer> done = new CompletableFuture<>();
            waiting.put(r.id(), done);
            ring.queueRequest(asked.protocol().encodeRequest(slot, r));
            if (ring.pushRequests()) domain.send(port);
            return done;
        }

        synchronized void responses() {
            ByteBuffer rsp = ByteBuffer.allocate(asked.protocol().slotSize());
            do {
                while (ring.takeResponse(rsp) != null) {
                    long[] r = asked.protocol().decodeResponse(rsp);
                    CompletableFuture<Integer> f = waiting.remove(r[0]);
                    if (f != null) f.complete((int) r[2]);
                }
            } while (ring.finalCheckForResponses());
        }
    }

    public BlkFrontend(EmulatedDomain domain, int backendDomid, String frontendPath, Options options) {
        this.domain = domain;
        this.backendDomid = backendDomid;
        this.path = frontendPath;
        this.asked = options;
    }

    /** The whole start-up: wait for InitWait, publish the rings, Initialised, wait for Connected, Connected. */
    public void connect(Duration timeout) throws TimeoutException, InterruptedException {
        XenStore store = domain.store();
        backendPath = store.read(path + "/backend").orElseThrow(() -> new XenException("no backend node under " + path));
        awaitBackend(timeout, XenbusState.INIT_WAIT, XenbusState.CONNECTED);
        int order = Math.min(asked.ringPageOrder(), (int) backendNumber("max-ring-page-order", 0));
        int queues = (int) Math.min(asked.queues(), backendNumber("multi-queue-max-queues", 1));
        maxIndirect = asked.indirect() ? (int) backendNumber("feature-max-indirect-segments", 0) : 0;
        flush = backendNumber("feature-flush-cache", 0) == 1;
        discard = backendNumber("feature-discard", 0) == 1;
        persistent = asked.persistence() != Persistence.OFF && backendNumber("feature-persistent", 0) == 1;
        for (int q = 0; q < queues; q++) rings.add(new Ring(order));
        store.inTransaction(t -> {
            for (int q = 0; q < queues; q++) {
                String prefix = path + "/" + (queues > 1 ? "queue-" + q + "/" : "");
                Ring r = rings.get(q);
                if (order == 0) {
                    t.write(prefix + "ring-ref", Integer.toString(r.refs[0]));
                } else {
                    for (int i = 0; i < r.refs.length; i++) t.write(prefix + "ring-ref" + i, Integer.toString(r.refs[i]));
                }
                t.write(prefix + "event-channel", Integer.toString(r.port));
            }
            if (order > 0) t.write(path + "/ring-page-order", Integer.toString(order));
            if (queues > 1) t.write(path + "/multi-queue-num-queues", Integer.toString(queues));
            t.write(path + "/protocol", asked.protocol().node());
            if (asked.persistence() != Persistence.OFF) t.write(path + "/feature-persistent", "1");
            t.write(path + "/state", XenbusState.INITIALISED.text());
        });
        awaitBackend(timeout, XenbusState.CONNECTED);
        sectors = backendNumber("sectors", 0);
        sectorSize = (int) backendNumber("sector-size", 512);
        store.write(path + "/state", XenbusState.CONNECTED.text());
    }

    public long sectors() {
        return sectors;
    }

    public int sectorSize() {
        return sectorSize;
    }

    public int queues() {
        return rings.size();
    }

    public int maxIndirectSegments() {
        return maxIndirect;
    }

    public boolean flushOffered() {
        return flush;
    }

    public boolean discardOffered() {
        return discard;
    }

    public EmulatedDomain domain() {
        return domain;
    }

    /** A fresh request id. */
    public long nextId() {
        return ids.getAndIncrement();
    }

    /** Puts {@code r} on ring {@code queue} as it is (no checks) and returns its status when the response comes. */
    public CompletableFuture<Integer> submit(int queue, BlkifRequest r) {
        return rings.get(queue).submit(r);
    }

    /** Reads {@code dst.length} bytes (a multiple of 512) from {@code sector}; the response status. */
    public int read(int queue, long sector, byte[] dst, Duration timeout) throws Exception {
        return transfer(queue, BlkifOp.READ, sector, dst, timeout);
    }

    public int write(int queue, long sector, byte[] src, Duration timeout) throws Exception {
        return transfer(queue, BlkifOp.WRITE, sector, src, timeout);
    }

    public int flush(int queue, Duration timeout) throws Exception {
        return await(submit(queue, new BlkifRequest(BlkifOp.FLUSH_DISKCACHE, 0, 0, nextId(), 0, List.of(), 0, 0, 0,
                new int[0])), timeout);
    }

    public int discard(int queue, long sector, long count, Duration timeout) throws Exception {
        return await(submit(queue, new BlkifRequest(BlkifOp.DISCARD, 0, 0, nextId(), sector, List.of(), 0, count, 0,
                new int[0])), timeout);
    }

    /**
     * Moves {@code data} through granted pages, one 4096-byte page per segment: direct up to 11 segments, INDIRECT
     * beyond when the back-end offered it. Grants are revoked once the response is in.
     */
    private int transfer(int queue, int op, long sector, byte[] data, Duration timeout) throws Exception {
        if (data.length == 0 || data.length % 512 != 0) throw new IllegalArgumentException("length " + data.length);
        int nseg = (data.length + PAGE - 1) / PAGE;
        boolean indirect = nseg > BlkifOp.MAX_DIRECT_SEGMENTS;
        if (indirect && nseg > maxIndirect) throw new IllegalArgumentException(nseg + " segments; the back-end takes " + maxIndirect);
        List<ByteBuffer> pages = new ArrayList<>();
        List<Integer> grants = new ArrayList<>();
        List<Granted> borrowed = new ArrayList<>();
        List<BlkifRequest.Segment> segs = new ArrayList<>();
        try {
            for (int i = 0; i < nseg; i++) {
                int len = Math.min(PAGE, data.length - i * PAGE);
                ByteBuffer page;
                int ref;
                if (persistent) {
                    Granted g = take(borrowed);
                    page = g.page();
                    ref = g.ref();
                } else {
                    page = domain.allocatePage();
                    ref = domain.grantAccess(backendDomid, page, op == BlkifOp.WRITE);
                    grants.add(ref);
                }
                if (op == BlkifOp.WRITE) page.put(0, data, i * PAGE, len);
                pages.add(page);
                segs.add(new BlkifRequest.Segment(ref, 0, len / 512 - 1));
            }
            BlkifRequest r;
            if (!indirect) {
                r = new BlkifRequest(op, nseg, 0, nextId(), sector, segs, 0, 0, 0, new int[0]);
            } else {
                int ipages = (nseg + BlkifOp.SEGMENTS_PER_INDIRECT_PAGE - 1) / BlkifOp.SEGMENTS_PER_INDIRECT_PAGE;
                int[] irefs = new int[BlkifOp.MAX_INDIRECT_PAGES];
                for (int p = 0; p < ipages; p++) {
                    Granted g = persistent ? take(borrowed) : null;
                    ByteBuffer ipage = g != null ? g.page() : domain.allocatePage();
                    for (int k = p * BlkifOp.SEGMENTS_PER_INDIRECT_PAGE; k < Math.min(nseg, (p + 1) * BlkifOp.SEGMENTS_PER_INDIRECT_PAGE); k++) {
                        BlkifProtocol.putSegment(ipage, 8 * (k % BlkifOp.SEGMENTS_PER_INDIRECT_PAGE), segs.get(k));
                    }
                    if (g != null) {
                        irefs[p] = g.ref();
                    } else {
                        irefs[p] = domain.grantAccess(backendDomid, ipage, true);
                        grants.add(irefs[p]);
                    }
                }
                r = new BlkifRequest(BlkifOp.INDIRECT, nseg, 0, nextId(), sector, List.of(), 0, 0, op, irefs);
            }
            int status = await(submit(queue, r), timeout);
            if (status == BlkifOp.STATUS_OKAY && op == BlkifOp.READ) {
                for (int i = 0; i < nseg; i++) pages.get(i).get(0, data, i * PAGE, Math.min(PAGE, data.length - i * PAGE));
            }
            return status;
        } finally {
            pool.addAll(borrowed);
            for (int ref : grants) {
                if (!domain.endAccess(ref)) throw new XenException("grant " + ref + " is still mapped after its response");
            }
        }
    }

    /** A page of the persistent pool, granted (writable, unless this is the deliberately wrong front-end) when new. */
    private Granted take(List<Granted> borrowed) {
        Granted g = pool.poll();
        if (g == null) {
            ByteBuffer page = domain.allocatePage();
            g = new Granted(page, domain.grantAccess(backendDomid, page, asked.persistence() == Persistence.READ_ONLY));
            granted.add(g);
        }
        borrowed.add(g);
        return g;
    }

    /** How many pages the persistent pool holds (0 without persistent grants). */
    public int persistentPages() {
        return granted.size();
    }

    /** Closing, then the back-end's Closed, then the rings' grants and ports go, then Closed. */
    @Override
    public void close() throws TimeoutException, InterruptedException {
        XenStore store = domain.store();
        store.write(path + "/state", XenbusState.CLOSING.text());
        awaitBackend(Duration.ofSeconds(10), XenbusState.CLOSED, XenbusState.CLOSING);
        if (XenbusState.of(store.read(backendPath + "/state")) == XenbusState.CLOSING) {
            awaitBackend(Duration.ofSeconds(10), XenbusState.CLOSED);
        }
        // The back-end unmapped the persistent pages when it closed: their grants can end now.
        for (Granted g : granted) {
            if (!domain.endAccess(g.ref())) throw new XenException("persistent grant " + g.ref() + " is still mapped after the back-end closed");
        }
        granted.clear();
        pool.clear();
        for (Ring r : rings) {
            domain.closePort(r.port);
            for (int ref : r.refs) domain.endAccess(ref);
            r.waiting.values().forEach(f -> f.completeExceptionally(new XenException("closed")));
        }
        int queues = rings.size();
        rings.clear();
        // The transport keys go with the rings, so a later connection does not find stale ones.
        store.inTransaction(t -> {
            for (String key : List.of("ring-ref", "event-channel", "ring-page-order", "multi-queue-num-queues", "protocol",
                    "feature-persistent")) {
                t.remove(path + "/" + key);
            }
            for (int i = 0; i < 16; i++) t.remove(path + "/ring-ref" + i);
            for (int q = 0; q < queues; q++) t.remove(path + "/queue-" + q);
            t.write(path + "/state", XenbusState.CLOSED.text());
        });
    }

    private static int await(CompletableFuture<Integer> f, Duration timeout) throws Exception {
        try {
            return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        }
    }

    private long backendNumber(String key, long absent) {
        Optional<String> v = domain.store().read(backendPath + "/" + key);
        return v.map(s -> XenNumbers.unsigned(s, Long.MAX_VALUE).orElseThrow(
                () -> new XenException(key + " = '" + s + "' is not a number"))).orElse(absent);
    }

    /** Waits until the back-end's state is one of {@code wanted}. */
    public void awaitBackend(Duration timeout, XenbusState... wanted) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        XenbusState now;
        while (true) {
            now = XenbusState.of(domain.store().read(backendPath + "/state"));
            for (XenbusState w : wanted) if (now == w) return;
            if (System.nanoTime() > end) break;
            Thread.sleep(1);
        }
        throw new TimeoutException("back-end " + backendPath + " is " + now + ", not " + List.of(wanted));
    }
}
