package dev.pvkit.backends.xenblk;

import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifOp;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.frontend.BlkFrontend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** blkback against PVKit's Java blkfront on the emulated platform: handshake, data, optional operations, refusals. */
class BlkbackEmulatedTest {
    private static final Duration T = Duration.ofSeconds(10);

    @ParameterizedTest(name = "{0}, ring order {1}, {2} queue(s), indirect {3}")
    @CsvSource({"X86_64, 0, 1, false", "X86_32, 0, 1, false", "X86_64, 2, 1, true", "X86_32, 4, 2, true",
            "ARM, 1, 4, false"})
    void dataWrittenReadsBackOnEveryLayoutRingSizeAndQueue(BlkifProtocol protocol, int order, int queues,
                                                           boolean indirect) throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 8 << 20)) {
            BlkFrontend fe = rig.frontend(new BlkFrontend.Options(protocol, order, queues, indirect));
            fe.connect(T);
            assertThat(rig.blkback.state()).isEqualTo(XenbusState.CONNECTED);
            assertThat(rig.blkback.protocol()).contains(protocol);
            assertThat(rig.blkback.queueCount()).isEqualTo(queues);
            assertThat(fe.sectors()).isEqualTo(8 << 20 >> 9);
            Random rnd = new Random(order * 31L + queues);
            int[] sizes = indirect ? new int[]{512, 4096, 45056, 65536, 262144} : new int[]{512, 4096, 8192, 45056};
            long sector = 0;
            for (int round = 0; round < 40; round++) {
                int size = sizes[round % sizes.length];
                byte[] data = new byte[size];
                rnd.nextBytes(data);
                int q = round % queues;
                assertThat(fe.write(q, sector, data, T)).isEqualTo(BlkifOp.STATUS_OKAY);
                byte[] back = new byte[size];
                assertThat(fe.read((q + 1) % queues, sector, back, T)).isEqualTo(BlkifOp.STATUS_OKAY);
                assertThat(back).isEqualTo(data);
                byte[] onDisk = new byte[size];
                rig.store.read(sector * 512, ByteBuffer.wrap(onDisk));
                assertThat(onDisk).isEqualTo(data);
                sector = (sector + size / 512 + 7) % (fe.sectors() - 600);
            }
            assertThat(rig.refused).isEmpty();
            assertThat(rig.ringBroken).isEmpty();
            fe.close();
            assertThat(rig.blkback.state()).isEqualTo(XenbusState.CLOSED);
        }
    }

    @Test
    void persistentGrantsAreMappedOnceReusedAndUnmappedWhenTheRingGoes() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 8 << 20)) {
            assertThat(rig.backendNode("feature-persistent")).isEqualTo("1");
            BlkFrontend fe = rig.frontend(new BlkFrontend.Options(BlkifProtocol.X86_64, 0, 1, true)
                    .withPersistence(BlkFrontend.Persistence.ON));
            fe.connect(T);
            Random rnd = new Random(13);
            for (int round = 0; round < 20; round++) {
                byte[] data = new byte[round % 2 == 0 ? 65536 : 4096];
                rnd.nextBytes(data);
                assertThat(fe.write(0, 64L * round, data, T)).isEqualTo(BlkifOp.STATUS_OKAY);
                byte[] back = new byte[data.length];
                assertThat(fe.read(0, 64L * round, back, T)).isEqualTo(BlkifOp.STATUS_OKAY);
                assertThat(back).isEqualTo(data);
            }
            assertThat(fe.persistentPages()).as("16 data pages and one indirect page, reused by all 40 requests").isEqualTo(17);
            assertThat(rig.refused).isEmpty();
            // The front-end's close ends every persistent grant, and fails if blkback still had one mapped.
            fe.close();
            assertThat(rig.blkback.state()).isEqualTo(XenbusState.CLOSED);
        }
    }

    @Test
    void aFrontendAskingForPersistentGrantsOfABackendWithoutThemGrantsPerRequest() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults().withPersistentGrants(false), 1 << 20)) {
            assertThat(rig.backendNode("feature-persistent")).isEqualTo("0");
            BlkFrontend fe = rig.frontend(BlkFrontend.Options.defaults().withPersistence(BlkFrontend.Persistence.ON));
            fe.connect(T);
            assertThat(fe.write(0, 0, new byte[4096], T)).isEqualTo(BlkifOp.STATUS_OKAY);
            assertThat(fe.persistentPages()).isZero();
            fe.close();
        }
    }

    @Test
    void persistentPagesGrantedReadOnlyAreRefusedUnderDrvXblk013() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            BlkFrontend fe = rig.frontend(BlkFrontend.Options.defaults().withPersistence(BlkFrontend.Persistence.READ_ONLY));
            fe.connect(T);
            assertThat(fe.write(0, 0, new byte[4096], T)).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(rig.refused).containsExactly("DRV-XBLK-013");
        }
    }

    @Test
    void flushAndDiscardAreServedAndSecureEraseIsNotOffered() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            assertThat(rig.backendNode("feature-flush-cache")).isEqualTo("1");
            assertThat(rig.backendNode("feature-discard")).isEqualTo("1");
            assertThat(rig.backendNode("discard-granularity")).isEqualTo("512");
            BlkFrontend fe = rig.frontend(BlkFrontend.Options.defaults());
            fe.connect(T);
            assertThat(fe.flush(0, T)).isEqualTo(BlkifOp.STATUS_OKAY);
            assertThat(fe.discard(0, 8, 16, T)).isEqualTo(BlkifOp.STATUS_OKAY);
            assertThat(fe.discard(0, 0, fe.sectors(), T)).isEqualTo(BlkifOp.STATUS_OKAY);
            assertThat(fe.discard(0, 8, fe.sectors(), T)).isEqualTo(BlkifOp.STATUS_ERROR);
            int secure = await(fe.submit(0, new BlkifRequest(BlkifOp.DISCARD, 0, 0, fe.nextId(), 0, List.of(),
                    BlkifOp.DISCARD_SECURE, 8, 0, new int[0])));
            assertThat(secure).isEqualTo(BlkifOp.STATUS_EOPNOTSUPP);
            assertThat(rig.refused).containsExactly("DRV-XBLK-019");
        }
    }

    @Test
    void optionalOperationsNotOfferedComeBackEopnotsuppAndNameTheRule() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.minimal(), 1 << 20)) {
            assertThat(rig.backendNode("feature-max-indirect-segments")).isNull();
            assertThat(rig.backendNode("multi-queue-max-queues")).isNull();
            BlkFrontend fe = rig.frontend(BlkFrontend.Options.defaults());
            fe.connect(T);
            assertThat(fe.flush(0, T)).isEqualTo(BlkifOp.STATUS_EOPNOTSUPP);
            assertThat(fe.discard(0, 0, 8, T)).isEqualTo(BlkifOp.STATUS_EOPNOTSUPP);
            int indirect = await(fe.submit(0, new BlkifRequest(BlkifOp.INDIRECT, 1, 0, fe.nextId(), 0, List.of(), 0, 0,
                    BlkifOp.READ, new int[8])));
            assertThat(indirect).isEqualTo(BlkifOp.STATUS_EOPNOTSUPP);
            int unknown = await(fe.submit(0, new BlkifRequest(77, 0, 0, fe.nextId(), 0, List.of(), 0, 0, 0, new int[0])));
            assertThat(unknown).isEqualTo(BlkifOp.STATUS_EOPNOTSUPP);
            assertThat(rig.refused).containsExactly("DRV-XBLK-005", "DRV-XBLK-005", "DRV-XBLK-006");
        }
    }

    @Test
    void malformedRequestsAreAnsweredErrorWithTheirRuleAndTouchNothing() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            BlkFrontend fe = rig.frontend(new BlkFrontend.Options(BlkifProtocol.X86_64, 0, 1, true));
            fe.connect(T);
            var dom = fe.domain();
            ByteBuffer page = dom.allocatePage();
            for (int i = 0; i < 4096; i++) page.put(i, (byte) 0x5a);
            int rw = dom.grantAccess(0, page, false);
            int ro = dom.grantAccess(0, page, true);
            List<BlkifRequest.Segment> twelve = java.util.Collections.nCopies(12, new BlkifRequest.Segment(rw, 0, 7));
            assertThat(status(fe, BlkifOp.WRITE, 12, twelve)).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(status(fe, BlkifOp.WRITE, 1, List.of(new BlkifRequest.Segment(rw, 3, 2)))).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(status(fe, BlkifOp.WRITE, 1, List.of(new BlkifRequest.Segment(rw, 0, 8)))).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(status(fe, BlkifOp.WRITE, 0, List.of())).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(status(fe, BlkifOp.READ, 1, List.of(new BlkifRequest.Segment(ro, 0, 7)))).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(status(fe, BlkifOp.WRITE, 1, List.of(new BlkifRequest.Segment(999, 0, 7)))).isEqualTo(BlkifOp.STATUS_ERROR);
            int tooMany = await(fe.submit(0, new BlkifRequest(BlkifOp.INDIRECT, 257, 0, fe.nextId(), 0, List.of(), 0, 0,
                    BlkifOp.WRITE, new int[8])));
            assertThat(tooMany).isEqualTo(BlkifOp.STATUS_ERROR);
            assertThat(rig.refused).containsExactly("DRV-XBLK-001", "DRV-XBLK-002", "DRV-XBLK-002",
                    "DRV-XEN-003", "DRV-XBLK-007");
            byte[] disk = new byte[1 << 20];
            rig.store.read(0, ByteBuffer.wrap(disk));
            assertThat(disk).containsOnly(0);
            // The page read-only granted is free again: every refusal unmapped what it had mapped.
            assertThat(dom.endAccess(rw)).isTrue();
            assertThat(dom.endAccess(ro)).isTrue();
            // And the ring still serves.
            assertThat(fe.write(0, 0, new byte[512], T)).isEqualTo(BlkifOp.STATUS_OKAY);
        }
    }

    @Test
    void aFrontendThatClosesAndStartsAgainFindsTheBackendWaiting() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            BlkFrontend first = rig.frontend(BlkFrontend.Options.defaults());
            first.connect(T);
            byte[] data = new byte[4096];
            new Random(3).nextBytes(data);
            assertThat(first.write(0, 64, data, T)).isEqualTo(BlkifOp.STATUS_OKAY);
            first.close();
            rig.domU.store().write(rig.paths.frontend() + "/state", XenbusState.INITIALISING.text());
            BlkFrontend second = rig.frontend(new BlkFrontend.Options(BlkifProtocol.X86_64, 3, 2, true));
            second.connect(T);
            byte[] back = new byte[4096];
            assertThat(second.read(1, 64, back, T)).isEqualTo(BlkifOp.STATUS_OKAY);
            assertThat(back).isEqualTo(data);
            assertThat(rig.blkback.queueCount()).isEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "ring-page-order above the back-end's maximum, ring-page-order, 7, DRV-XBLK-010",
            "a ring-ref that is not decimal, ring-ref, 0x10, DRV-XEN-007",
            "an unknown protocol, protocol, vax-abi, DRV-XBLK-008",
            "an event channel never allocated, event-channel, 4000, DRV-XEN-004",
            "a ring-ref never granted, ring-ref, 700, DRV-XEN-008",
            "more queues than offered, multi-queue-num-queues, 9, DRV-XBLK-011"})
    void unusableFrontendKeysCloseTheDeviceWithTheRule(String what, String key, String value, String rule)
            throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            var dom = rig.domU;
            String fe = rig.paths.frontend();
            ByteBuffer ringPage = dom.allocatePage();
            new dev.pvkit.sdk.xen.FrontendRing(new dev.pvkit.sdk.xen.RingPages(ringPage), BlkifProtocol.X86_64.slotSize());
            dom.store().write(fe + "/ring-ref", Integer.toString(dom.grantAccess(0, ringPage, false)));
            dom.store().write(fe + "/event-channel", Integer.toString(dom.allocUnbound(0, () -> { })));
            dom.store().write(fe + "/protocol", "x86_64-abi");
            dom.store().write(fe + "/" + key, value);
            dom.store().write(fe + "/state", XenbusState.INITIALISED.text());
            org.awaitility.Awaitility.await().atMost(T).until(() -> rig.blkback.state() == XenbusState.CLOSING);
            assertThat(rig.backendNode("error")).startsWith(rule + " ");
            assertThat(rig.backendNode("state")).isEqualTo("5");
            assertThat(dom.grantInUse(Integer.parseInt(dom.store().read(fe + "/ring-ref").orElse("0").replaceAll("\\D", "0"))))
                    .isFalse();
        }
    }

    @Test
    void aFrontendThatOverrunsTheRingBreaksItAndNothingElse() throws Exception {
        try (XenBlkRig rig = new XenBlkRig(BlkbackOptions.defaults(), 1 << 20)) {
            var dom = rig.domU;
            String fe = rig.paths.frontend();
            ByteBuffer ringPage = dom.allocatePage();
            var ring = new dev.pvkit.sdk.xen.FrontendRing(new dev.pvkit.sdk.xen.RingPages(ringPage), BlkifProtocol.X86_64.slotSize());
            int port = dom.allocUnbound(0, () -> { });
            dom.store().write(fe + "/ring-ref", Integer.toString(dom.grantAccess(0, ringPage, false)));
            dom.store().write(fe + "/event-channel", Integer.toString(port));
            dom.store().write(fe + "/state", XenbusState.INITIALISED.text());
            org.awaitility.Awaitility.await().atMost(T).until(() -> rig.blkback.state() == XenbusState.CONNECTED);
            ringPage.putInt(0, ring.entries() + 5);   // req_prod a ring and more ahead of any response
            dom.send(port);
            org.awaitility.Awaitility.await().atMost(T).until(() -> rig.ringBroken.contains("DEV-XRING-004"));
            assertThat(ringPage.getInt(8)).isZero();   // no response was produced for the overrun
        }
    }

    private static int status(BlkFrontend fe, int op, int nr, List<BlkifRequest.Segment> segs) throws Exception {
        return await(fe.submit(0, new BlkifRequest(op, nr, 0, fe.nextId(), 0, segs, 0, 0, 0, new int[0])));
    }

    private static int await(java.util.concurrent.CompletableFuture<Integer> f) throws Exception {
        return f.get(10, java.util.concurrent.TimeUnit.SECONDS);
    }
}
