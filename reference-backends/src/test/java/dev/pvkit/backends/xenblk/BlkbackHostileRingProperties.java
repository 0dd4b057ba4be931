package dev.pvkit.backends.xenblk;

import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.sdk.xen.GrantMapping;
import dev.pvkit.sdk.xen.RingGeometry;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A front-end may put anything in its ring: any header, any slot bytes, any request fields, grant references it
 * never made. Whatever it writes, blkback answers each request it consumed exactly once, with the request's id and
 * operation (an INDIRECT one's data direction) and a status of OKAY, ERROR or EOPNOTSUPP only [DEV-XBLK-022] [DEV-XBLK-002] [DEV-XBLK-003]; it
 * consumes nothing past a ring's worth ahead of its responses [DEV-XRING-004]; it leaves the header's
 * front-end fields alone; and nothing it does throws. The ring is served by the real queue code, one drain per try.
 */
class BlkbackHostileRingProperties {
    private static EmulatedXen xen;
    private static EmulatedDomain dom0;
    private static EmulatedDomain domU;
    private static BlkifRequestHandler handler;
    private static int[] goodRefs;
    /** Requests served OKAY over all tries: the properties must reach the data path, not only the refusals. */
    private static final java.util.concurrent.atomic.AtomicInteger SERVED = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeContainer
    static void platform() {
        xen = new EmulatedXen();
        dom0 = xen.domain(0);
        domU = xen.domain(1);
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        BlockEngine engine = new BlockEngine(store, (1 << 20) / 512, false, BlockLimits.defaults(), "hostile");
        handler = new BlkifRequestHandler(engine, BlkbackOptions.defaults(), dom0.grants(), 1, new XenObserver() {
        }, null);
        goodRefs = new int[4];
        for (int i = 0; i < 4; i++) goodRefs[i] = domU.grantAccess(0, domU.allocatePage(), i % 2 == 1);
    }

    @AfterContainer
    static void stop() {
        xen.close();
        System.out.println("hostile rings: " + SERVED.get() + " requests served OKAY");
        assertThat(SERVED.get()).as("requests served OKAY").isGreaterThan(0);
    }

    /** One ring's worth of hostile content: its header values and what each slot holds. */
    record HostileRing(BlkifProtocol protocol, int order, int start, int published, int rspEvent, byte[] noise,
                       List<BlkifRequest> requests) {
    }

    @Property
    void whateverTheRingHoldsEachConsumedRequestGetsExactlyOneWellFormedResponse(@ForAll("rings") HostileRing h) {
        int pages = 1 << h.order();
        ByteBuffer[] mem = new ByteBuffer[pages];
        int[] refs = new int[pages];
        for (int i = 0; i < pages; i++) {
            mem[i] = domU.allocatePage();
            refs[i] = domU.grantAccess(0, mem[i], false);
        }
        int slot = h.protocol().slotSize();
        int entries = RingGeometry.entries(pages * 4096, slot);
        // Slots: encoded requests where the generator gave them, raw noise elsewhere.
        ByteBuffer enc = ByteBuffer.allocate(slot);
        for (int i = 0; i < entries; i++) {
            byte[] bytes = new byte[slot];
            if (i < h.requests().size()) {
                h.protocol().encodeRequest(enc, h.requests().get(i)).get(bytes);
            } else {
                for (int k = 0; k < slot; k++) bytes[k] = h.noise()[(i * slot + k) % h.noise().length];
            }
            writeRing(mem, RingGeometry.HEADER + i * slot, bytes);
        }
        long[] ids = new long[entries];
        int[] ops = new int[entries];
        for (int i = 0; i < entries; i++) {
            ByteBuffer copy = ByteBuffer.allocate(slot).order(ByteOrder.LITTLE_ENDIAN);
            readRing(mem, RingGeometry.HEADER + i * slot, copy);
            BlkifRequest r = h.protocol().decode(copy.flip());
            ids[i] = r.id();
            ops[i] = r.dataOperation();
        }
        mem[0].putInt(0, h.start() + h.published());   // req_prod
        mem[0].putInt(4, h.start() + 1);               // req_event
        mem[0].putInt(8, h.start());                   // rsp_prod
        mem[0].putInt(12, h.rspEvent());               // rsp_event

        GrantMapping mapping = dom0.grants().map(1, refs, true);
        List<Integer> answered = new ArrayList<>();
        XenBlkListener listener = new XenBlkListener() {
            @Override
            public void answered(int ring, BlkifRequest request, int status, String refused) {
                answered.add(status);
                if (status == BlkifOp.STATUS_OKAY) SERVED.incrementAndGet();
            }
        };
        BlkbackQueue queue = new BlkbackQueue(0, mapping, h.protocol(), handler, new XenObserver() {
        }, listener);
        queue.drain();
        boolean overrun = Integer.compareUnsigned(h.published(), entries) > 0;
        int consumed = queue.ring().requestConsumer() - h.start();
        assertThat(consumed).isEqualTo(overrun ? 0 : h.published());
        assertThat(queue.ring().broken()).isEqualTo(overrun);
        assertThat(answered).hasSize(consumed)
                .allSatisfy(s -> assertThat(s).isIn(BlkifOp.STATUS_OKAY, BlkifOp.STATUS_ERROR, BlkifOp.STATUS_EOPNOTSUPP));
        assertThat(mem[0].getInt(8)).isEqualTo(h.start() + consumed);            // rsp_prod published
        assertThat(mem[0].getInt(0)).isEqualTo(h.start() + h.published());      // req_prod untouched
        assertThat(mem[0].getInt(12)).isEqualTo(h.rspEvent());                  // rsp_event untouched
        for (int i = 0; i < consumed; i++) {
            int at = RingGeometry.slotOffset(h.start() + i, entries, slot);
            ByteBuffer rsp = ByteBuffer.allocate(slot).order(ByteOrder.LITTLE_ENDIAN);
            readRing(mem, at, rsp);
            long[] got = h.protocol().decodeResponse(rsp.flip());
            int index = (h.start() + i) & (entries - 1);
            assertThat(got[0]).isEqualTo(ids[index]);
            assertThat(got[1]).isEqualTo(ops[index] & 0xff);
            assertThat(got[2]).isEqualTo((long) answered.get(i));
        }
        queue.close();
        for (int ref : refs) assertThat(domU.endAccess(ref)).isTrue();
        for (int ref : goodRefs) assertThat(domU.grantInUse(ref)).isFalse();
    }

    @Provide
    Arbitrary<HostileRing> rings() {
        Arbitrary<BlkifProtocol> protocol = Arbitraries.of(BlkifProtocol.class);
        Arbitrary<Integer> order = Arbitraries.integers().between(0, 2);
        Arbitrary<Integer> start = Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.just(-3), Arbitraries.integers());
        Arbitrary<Integer> published = Arbitraries.oneOf(Arbitraries.integers().between(0, 40),
                Arbitraries.integers().between(0, 200), Arbitraries.integers());
        Arbitrary<byte[]> noise = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(256);
        Arbitrary<List<BlkifRequest>> requests = request().list().ofMaxSize(40);
        return Combinators.combine(protocol, order, start, published, Arbitraries.integers(), noise, requests)
                .as(HostileRing::new);
    }

    private Arbitrary<BlkifRequest> request() {
        Arbitrary<Integer> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.of(BlkifOp.READ, BlkifOp.WRITE, BlkifOp.FLUSH_DISKCACHE,
                        BlkifOp.WRITE_BARRIER, BlkifOp.DISCARD, BlkifOp.INDIRECT)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 255)));
        Arbitrary<Integer> ref = Arbitraries.oneOf(Arbitraries.of(0, 1, 2, 3).map(i -> goodRefs[i]), Arbitraries.integers());
        Arbitrary<BlkifRequest.Segment> seg = Combinators.combine(ref, Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 9)).as(BlkifRequest.Segment::new);
        Arbitrary<Long> sector = Arbitraries.oneOf(Arbitraries.longs().between(0, 2100), Arbitraries.longs());
        Arbitrary<int[]> irefs = ref.array(int[].class).ofSize(8);
        // A negative count stands for "as many as the segments given", so that half the requests are well formed.
        return Combinators.combine(op, Arbitraries.integers().between(-300, 300), Arbitraries.longs(), sector,
                seg.list().ofMaxSize(11), Arbitraries.integers().between(0, 3),
                Arbitraries.oneOf(Arbitraries.longs().between(0, 4096), Arbitraries.longs()), irefs)
                .as((o, nr, id, s, segs, flags, count, ir) -> new BlkifRequest(o,
                        nr < 0 ? (o == BlkifOp.INDIRECT ? -nr % 20 : segs.size()) : o == BlkifOp.INDIRECT ? nr : Math.min(nr, 255),
                        0, id, s, segs, flags, count, Math.abs(nr) % 3, ir));
    }

    private static void writeRing(ByteBuffer[] mem, int at, byte[] bytes) {
        for (int k = 0; k < bytes.length; k++) mem[(at + k) / 4096].put((at + k) % 4096, bytes[k]);
    }

    private static void readRing(ByteBuffer[] mem, int at, ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(mem[at / 4096].get(at % 4096));
            at++;
        }
    }
}
