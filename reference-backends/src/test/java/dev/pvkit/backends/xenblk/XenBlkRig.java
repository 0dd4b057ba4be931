package dev.pvkit.backends.xenblk;

import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.emulated.EmulatedDomain;
import dev.pvkit.sdk.xen.emulated.EmulatedXen;
import dev.pvkit.sdk.xen.frontend.BlkFrontend;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An emulated Xen with blkback in domain 0 over an in-memory disk, and a front-end domain 1 with its vbd made. */
final class XenBlkRig implements AutoCloseable {
    static final int FRONTEND = 1;
    static final int DEVID = 51712;

    final EmulatedXen xen = new EmulatedXen();
    final EmulatedDomain dom0 = xen.domain(0);
    final EmulatedDomain domU = xen.domain(FRONTEND);
    final VbdPaths paths = new VbdPaths(0, FRONTEND, DEVID);
    final MemoryBlockStore store;
    final BlockEngine engine;
    final Blkback blkback;
    final List<String> refused = new CopyOnWriteArrayList<>();
    final List<String> ringBroken = new CopyOnWriteArrayList<>();
    final List<String> frontendNodes = new CopyOnWriteArrayList<>();

    XenBlkRig(BlkbackOptions options, long diskBytes) {
        store = new MemoryBlockStore(diskBytes);
        engine = new BlockEngine(store, diskBytes / 512, false, BlockLimits.defaults(), "xen-test");
        paths.create(dom0.store(), DEVID);
        XenObserver observer = new XenObserver() {
            @Override
            public void ringBroken(int ring, String requirement, String detail) {
                ringBroken.add(requirement);
            }

            @Override
            public void frontendNode(String key, String value) {
                frontendNodes.add(key + "=" + value);
            }
        };
        XenBlkListener listener = new XenBlkListener() {
            @Override
            public void answered(int ring, BlkifRequest request, int status, String rule) {
                if (rule != null) refused.add(rule);
            }
        };
        blkback = new Blkback(dom0, paths, engine, options, observer, listener);
        blkback.start();
    }

    BlkFrontend frontend(BlkFrontend.Options options) {
        return new BlkFrontend(domU, 0, paths.frontend(), options);
    }

    String backendNode(String key) {
        return dom0.store().read(paths.backend() + "/" + key).orElse(null);
    }

    @Override
    public void close() {
        blkback.close();
        xen.close();
    }
}
