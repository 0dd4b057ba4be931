package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.xenblk.BlkbackOptions;
import dev.pvkit.backends.xenblk.Blkback;
import dev.pvkit.backends.xenblk.VbdPaths;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.XenRecorder;
import dev.pvkit.sdk.xen.FrontendRing;
import dev.pvkit.sdk.xen.RingPages;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifProtocol;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import dev.pvkit.sdk.xen.frontend.BlkFrontend;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * blkback in domain 0 of an emulated Xen, recorded, and a front-end domain: PVKit's correct Java blkfront or a
 * hand-made one that writes its own keys and ring header.
 */
final class XenRig implements AutoCloseable {
    static final Duration T = Duration.ofSeconds(10);

    final EmulatedXen xen = new EmulatedXen();
    final EmulatedDomain dom0 = xen.domain(0);
    final EmulatedDomain domU = xen.domain(1);
    final VbdPaths paths = new VbdPaths(0, 1, 51712);
    final XenRecorder recorder = new XenRecorder();
    final Blkback blkback;

    XenRig(BlkbackOptions options) {
        MemoryBlockStore store = new MemoryBlockStore(1 << 20);
        BlockEngine engine = new BlockEngine(store, (1 << 20) / 512, false, BlockLimits.defaults(), "selftest");
        paths.create(dom0.store(), 51712);
        blkback = new Blkback(dom0, paths, engine, options, recorder, recorder);
        blkback.start();
    }

    BlkFrontend connected(BlkFrontend.Options options) throws Exception {
        BlkFrontend fe = new BlkFrontend(domU, 0, paths.frontend(), options);
        fe.connect(T);
        return fe;
    }

    /** A hand-made front-end: one ring page set up by {@code header} (null: correctly), granted, and {@code keys}. */
    HandMade handMade(int[] header, Map<String, String> keys) throws InterruptedException {
        // The back-end's first look at the front-end's state (its watch firing once) comes first, as it does when
        // a guest boots after its back-end started.
        xen.quiesce();
        ByteBuffer page = domU.allocatePage();
        new FrontendRing(new RingPages(page), BlkifProtocol.X86_64.slotSize());
        if (header != null) for (int i = 0; i < header.length; i++) page.putInt(4 * i, header[i]);
        int ref = domU.grantAccess(0, page, false);
        int port = domU.allocUnbound(0, () -> { });
        domU.store().write(paths.frontend() + "/ring-ref", Integer.toString(ref));
        domU.store().write(paths.frontend() + "/event-channel", Integer.toString(port));
        domU.store().write(paths.frontend() + "/protocol", "x86_64-abi");
        keys.forEach((k, v) -> {
            if (v == null) domU.store().remove(paths.frontend() + "/" + k);
            else domU.store().write(paths.frontend() + "/" + k, v);
        });
        return new HandMade(page, port);
    }

    record HandMade(ByteBuffer page, int port) {
    }

    void frontendState(XenbusState s) {
        domU.store().write(paths.frontend() + "/state", s.text());
    }

    void awaitBackend(XenbusState s) throws Exception {
        org.awaitility.Awaitility.await().atMost(T).until(() -> blkback.state() == s);
    }

    /** Everything recorded, after the platform's callbacks have all run. */
    List<Event> events() throws InterruptedException {
        xen.quiesce();
        return recorder.events();
    }

    @Override
    public void close() {
        blkback.close();
        xen.close();
    }
}
