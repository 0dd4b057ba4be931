package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.xenblk.BlkbackOptions;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.frontend.BlkFrontend;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Xen blkfronts that each break one requirement, and correct ones, on the emulated platform. The wrong ones are
 * PVKit's Java blkfront sending one bad request, or a hand-made front-end publishing one bad key or ring header.
 */
final class XenWrongFrontends {
    private static final BlkbackOptions SECTOR_4K = new BlkbackOptions(true, true, true, 256, 4, 4, 4096);

    private XenWrongFrontends() {
    }

    static List<WrongDriver> all() {
        return List.of(
                WrongDriver.correct("blkfront: write, read, flush, discard, indirect, close", XenWrongFrontends::correct),
                WrongDriver.correct("blkfront: x86_32 layout, 4-page rings, 2 queues", () -> session(BlkbackOptions.defaults(), rig -> {
                    BlkFrontend fe = rig.connected(new BlkFrontend.Options(BlkifProtocol.X86_32, 2, 2, true));
                    fe.write(1, 8, new byte[65536], XenRig.T);
                    fe.read(0, 8, new byte[65536], XenRig.T);
                    fe.close();
                })),
                WrongDriver.correct("blkfront with persistent grants: pool reused across writes, reads and indirect requests",
                        () -> session(BlkbackOptions.defaults(), rig -> {
                    BlkFrontend fe = rig.connected(new BlkFrontend.Options(BlkifProtocol.X86_64, 0, 1, true)
                            .withPersistence(BlkFrontend.Persistence.ON));
                    for (int i = 0; i < 3; i++) {
                        fe.write(0, 8L * i, new byte[4096 * 16], XenRig.T);
                        fe.read(0, 8L * i, new byte[4096 * 16], XenRig.T);
                    }
                    fe.close();
                })),
                WrongDriver.breaking("DRV-XBLK-013", "persistent grants asked for, the pool granted read-only",
                        () -> session(BlkbackOptions.defaults(), rig -> {
                    BlkFrontend fe = rig.connected(BlkFrontend.Options.defaults().withPersistence(BlkFrontend.Persistence.READ_ONLY));
                    fe.write(0, 0, new byte[4096], XenRig.T);
                    fe.close();
                })),
                WrongDriver.correct("hand-made front-end skipping Initialised after the back-end connected", () -> session(BlkbackOptions.defaults(), rig -> {
                    rig.handMade(null, Map.of());
                    rig.frontendState(XenbusState.INITIALISED);
                    rig.awaitBackend(XenbusState.CONNECTED);
                    rig.frontendState(XenbusState.CONNECTED);
                })),
                bad("DRV-XBLK-001", "twelve segments in a direct write", BlkbackOptions.defaults(), fe -> request(fe,
                        BlkifOp.WRITE, 12, 0, Collections.nCopies(12, segment(fe, 0, 7, true)))),
                bad("DRV-XBLK-002", "a segment ending before it starts", BlkbackOptions.defaults(), fe -> request(fe,
                        BlkifOp.WRITE, 1, 0, List.of(segment(fe, 3, 2, true)))),
                bad("DRV-XBLK-002", "a segment past the frame's eighth sector", BlkbackOptions.defaults(), fe -> request(fe,
                        BlkifOp.READ, 1, 0, List.of(segment(fe, 0, 8, false)))),
                bad("DRV-XBLK-003", "a 512-byte segment on a 4096-byte-sector disk", SECTOR_4K, fe -> request(fe,
                        BlkifOp.WRITE, 1, 0, List.of(segment(fe, 0, 0, true)))),
                bad("DRV-XBLK-004", "a sector number not on a 4096-byte boundary", SECTOR_4K, fe -> request(fe,
                        BlkifOp.WRITE, 1, 3, List.of(segment(fe, 0, 7, true)))),
                bad("DRV-XBLK-005", "a flush the back-end did not offer", BlkbackOptions.minimal(), fe -> request(fe,
                        BlkifOp.FLUSH_DISKCACHE, 0, 0, List.of())),
                bad("DRV-XBLK-006", "an indirect request the back-end did not offer", BlkbackOptions.minimal(), fe ->
                        fe.submit(0, new BlkifRequest(BlkifOp.INDIRECT, 1, 0, fe.nextId(), 0, List.of(), 0, 0, BlkifOp.READ,
                                new int[8])).get(10, TimeUnit.SECONDS)),
                bad("DRV-XBLK-007", "257 indirect segments where 256 were offered", BlkbackOptions.defaults(), fe ->
                        fe.submit(0, new BlkifRequest(BlkifOp.INDIRECT, 257, 0, fe.nextId(), 0, List.of(), 0, 0, BlkifOp.READ,
                                new int[8])).get(10, TimeUnit.SECONDS)),
                bad("DRV-XEN-003", "a read into a page granted read-only", BlkbackOptions.defaults(), fe -> request(fe,
                        BlkifOp.READ, 1, 0, List.of(segment(fe, 0, 7, true)))),
                bad("DRV-XBLK-018", "a discard not on the 4096-byte discard granularity", SECTOR_4K, fe ->
                        fe.submit(0, new BlkifRequest(BlkifOp.DISCARD, 0, 0, fe.nextId(), 1, List.of(), 0, 8, 0,
                                new int[0])).get(10, TimeUnit.SECONDS)),
                bad("DRV-XBLK-019", "a secure erase the back-end did not offer", BlkbackOptions.defaults(), fe ->
                        fe.submit(0, new BlkifRequest(BlkifOp.DISCARD, 0, 0, fe.nextId(), 0, List.of(), BlkifOp.DISCARD_SECURE,
                                8, 0, new int[0])).get(10, TimeUnit.SECONDS)),
                bad("DRV-XBLK-020", "an indirect request whose direction is FLUSH", BlkbackOptions.defaults(), fe -> {
                    ByteBuffer ipage = fe.domain().allocatePage();
                    BlkifProtocol.putSegment(ipage, 0, segment(fe, 0, 7, false));
                    int[] irefs = new int[8];
                    irefs[0] = fe.domain().grantAccess(0, ipage, true);
                    fe.submit(0, new BlkifRequest(BlkifOp.INDIRECT, 1, 0, fe.nextId(), 0, List.of(), 0, 0,
                            BlkifOp.FLUSH_DISKCACHE, irefs)).get(10, TimeUnit.SECONDS);
                }),
                bad("DRV-XEN-013", "a data segment in the toolstack's grant 1", BlkbackOptions.defaults(), fe -> request(fe,
                        BlkifOp.WRITE, 1, 0, List.of(new BlkifRequest.Segment(1, 0, 7)))),
                keys("DRV-XEN-013", "a ring in the toolstack's grant 0", Map.of("ring-ref", "0")),
                keys("DRV-XBLK-015", "a two-page ring missing ring-ref1", Map.of("ring-page-order", "1", "ring-ref0", "9")),
                WrongDriver.breaking("DRV-XEN-039", "a protocol value ending in NUL", () -> session(BlkbackOptions.defaults(), rig -> {
                    rig.handMade(null, Map.of("protocol", "x86_64-abi\0"));
                    rig.frontendState(XenbusState.INITIALISED);
                    rig.awaitBackend(XenbusState.CONNECTED);
                })),
                keys("DRV-XBLK-008", "an unknown protocol", Map.of("protocol", "vax-abi")),
                keys("DRV-XBLK-010", "a ring-page-order above the back-end's maximum", Map.of("ring-page-order", "7")),
                keys("DRV-XBLK-011", "more queues than the back-end offers", Map.of("multi-queue-num-queues", "9")),
                keys("DRV-XEN-004", "an event channel it never allocated", Map.of("event-channel", "4000")),
                keys("DRV-XEN-007", "a ring-ref in hexadecimal", Map.of("ring-ref", "0x10")),
                keys("DRV-XEN-008", "Initialised without its ring-ref", Collections.singletonMap("ring-ref", null)),
                WrongDriver.breaking("DRV-XRING-001", "a ring whose req_event is 0", () -> session(BlkbackOptions.defaults(), rig -> {
                    rig.handMade(new int[]{0, 0, 0, 1}, Map.of());
                    rig.frontendState(XenbusState.INITIALISED);
                    rig.awaitBackend(XenbusState.CONNECTED);
                })),
                WrongDriver.breaking("DRV-XRING-004", "requests published a ring and more ahead", () -> session(BlkbackOptions.defaults(), rig -> {
                    var fe = rig.handMade(null, Map.of());
                    rig.frontendState(XenbusState.INITIALISED);
                    rig.awaitBackend(XenbusState.CONNECTED);
                    fe.page().putInt(0, 40);
                    rig.domU.send(fe.port());
                })),
                WrongDriver.breaking("DRV-XBLK-021", "Connected before the back-end", () -> session(BlkbackOptions.defaults(), rig -> {
                    rig.handMade(null, Map.of());
                    rig.frontendState(XenbusState.CONNECTED);
                    rig.awaitBackend(XenbusState.CONNECTED);
                })));
    }

    private static List<Event> correct() throws Exception {
        return session(BlkbackOptions.defaults(), rig -> {
            BlkFrontend fe = rig.connected(new BlkFrontend.Options(BlkifProtocol.X86_64, 0, 1, true));
            fe.write(0, 16, new byte[8192], XenRig.T);
            fe.read(0, 16, new byte[8192], XenRig.T);
            fe.write(0, 64, new byte[131072], XenRig.T);
            fe.flush(0, XenRig.T);
            fe.discard(0, 0, 8, XenRig.T);
            fe.close();
        });
    }

    interface Steps {
        void run(XenRig rig) throws Exception;
    }

    interface Bad {
        void send(BlkFrontend fe) throws Exception;
    }

    private static List<Event> session(BlkbackOptions options, Steps steps) throws Exception {
        try (XenRig rig = new XenRig(options)) {
            steps.run(rig);
            return rig.events();
        }
    }

    /** PVKit's blkfront, connected, then one bad request and one good one after it. */
    private static WrongDriver bad(String id, String name, BlkbackOptions options, Bad request) {
        return WrongDriver.breaking(id, name, () -> session(options, rig -> {
            BlkFrontend fe = rig.connected(BlkFrontend.Options.defaults());
            request.send(fe);
            fe.write(0, 0, new byte[options.sectorSize()], XenRig.T);
        }));
    }

    /** A hand-made front-end whose keys are right but for {@code keys}; it says Initialised. */
    private static WrongDriver keys(String id, String name, Map<String, String> keys) {
        return WrongDriver.breaking(id, name, () -> session(BlkbackOptions.defaults(), rig -> {
            rig.handMade(null, keys);
            rig.frontendState(XenbusState.INITIALISED);
            rig.awaitBackend(XenbusState.CLOSING);
        }));
    }

    private static BlkifRequest.Segment segment(BlkFrontend fe, int first, int last, boolean readOnly) {
        ByteBuffer page = fe.domain().allocatePage();
        return new BlkifRequest.Segment(fe.domain().grantAccess(0, page, readOnly), first, last);
    }

    private static void request(BlkFrontend fe, int op, int nr, long sector, List<BlkifRequest.Segment> segs) throws Exception {
        fe.submit(0, new BlkifRequest(op, nr, 0, fe.nextId(), sector, segs, 0, 0, 0, new int[0])).get(10, TimeUnit.SECONDS);
    }
}
