import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.xenblk.BlkbackOptions;
import dev.pvkit.backends.xenblk.Blkback;
import dev.pvkit.backends.xenblk.VbdPaths;
import dev.pvkit.backends.xenblk.XenBlkListener;
import dev.pvkit.sdk.xen.XenObserver;
import dev.pvkit.sdk.xen.XenbusState;
import dev.pvkit.sdk.xen.blkif.BlkifRequest;
import dev.pvkit.sdk.xen.host.HostXen;

import java.util.concurrent.atomic.AtomicInteger;

/** Serves a 16 MiB in-memory disk to domain args[0] as xvda with PVKit's blkback, for args[1] seconds. */
public class BlkbackRigMain {
    public static void main(String[] args) throws Exception {
        int domU = Integer.parseInt(args[0]);
        long seconds = Long.parseLong(args[1]);
        long t0 = System.nanoTime();
        HostXen xen = HostXen.open();
        System.out.println("PVKITRIG HostXen open, domid " + xen.domid());
        VbdPaths paths = new VbdPaths(xen.domid(), domU, 51712, VbdPaths.PVKIT_KIND);
        paths.create(xen.store(), 51712);
        System.out.println("PVKITRIG vbd nodes written");
        MemoryBlockStore store = new MemoryBlockStore(16 << 20);
        BlockEngine engine = new BlockEngine(store, (16 << 20) / 512, false, BlockLimits.defaults(), "pvkit-xen");
        AtomicInteger served = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        XenObserver obs = new XenObserver() {
            public void frontendState(XenbusState s, String raw) { System.out.println("PVKITRIG frontend " + s); }
            public void backendState(XenbusState s) { System.out.println("PVKITRIG backend " + s); }
            public void frontendNode(String k, String v) { System.out.println("PVKITRIG node " + k + "=" + v); }
            public void connectRefused(String r, String d) { System.out.println("PVKITRIG REFUSED " + r + " " + d); }
            public void ringAttached(int ring, int pages, int entries, int a, int b, int c, int d, boolean z) {
                System.out.println("PVKITRIG ring " + ring + " pages " + pages + " entries " + entries + " hdr " + a + "," + b + "," + c + "," + d + " zero " + z);
            }
            public void ringBroken(int ring, String r, String d) { System.out.println("PVKITRIG BROKEN " + r + " " + d); }
            public void grantRefused(int ref, int st, boolean w, String p) { System.out.println("PVKITRIG GRANT " + ref + " " + st + " " + p); }
        };
        XenBlkListener l = new XenBlkListener() {
            public void answered(int ring, BlkifRequest r, int status, String rule) {
                if (rule != null) { refused.incrementAndGet(); System.out.println("PVKITRIG request " + r.describe() + " -> " + status + " " + rule); }
                else if (served.incrementAndGet() <= 5 || status != 0) System.out.println("PVKITRIG request " + r.describe() + " -> " + status);
            }
        };
        Blkback bb = new Blkback(xen, paths, engine, BlkbackOptions.defaults(), obs, l);
        bb.start();
        dev.pvkit.backends.net.EthernetSwitch sw = new dev.pvkit.backends.net.EthernetSwitch();
        dev.pvkit.backends.net.Responder responder = new dev.pvkit.backends.net.Responder(sw, 0x0200_0000_00feL,
                dev.pvkit.backends.net.Ipv4.parse("169.254.0.1"), 24);
        AtomicInteger tx = new AtomicInteger();
        AtomicInteger rx = new AtomicInteger();
        dev.pvkit.backends.xennet.VifPaths vif = new dev.pvkit.backends.xennet.VifPaths(xen.domid(), domU, 0,
                dev.pvkit.backends.xennet.VifPaths.PVKIT_KIND);
        vif.create(xen.store(), 0x0016_3e5a_0002L);
        dev.pvkit.backends.xennet.Netback nb = new dev.pvkit.backends.xennet.Netback(xen, vif, sw,
                dev.pvkit.backends.xennet.NetbackOptions.defaults(), new XenObserver() {
            public void frontendState(XenbusState s, String raw) { System.out.println("PVKITRIG vif frontend " + s); }
            public void backendState(XenbusState s) { System.out.println("PVKITRIG vif backend " + s); }
            public void frontendNode(String k, String v) { System.out.println("PVKITRIG vif node " + k + "=" + v); }
            public void connectRefused(String r, String d) { System.out.println("PVKITRIG vif REFUSED " + r + " " + d); }
            public void ringBroken(int ring, String r, String d) { System.out.println("PVKITRIG vif BROKEN " + r + " " + d); }
        }, new dev.pvkit.backends.xennet.XenNetListener() {
            public void transmitted(int q, int slots, int extras, int size, boolean gso, String refused) {
                tx.incrementAndGet();
                if (refused != null || tx.get() <= 3) System.out.println("PVKITRIG vif tx q" + q + " slots " + slots + " extras " + extras + " size " + size + " gso " + gso + " " + (refused == null ? "" : refused));
            }
            public void received(int q, int size, int slots, boolean dropped) {
                rx.incrementAndGet();
                if (dropped || rx.get() <= 3) System.out.println("PVKITRIG vif rx q" + q + " size " + size + " slots " + slots + (dropped ? " DROPPED" : ""));
            }
        });
        nb.start();
        System.out.printf("PVKITRIG blkback started in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        System.out.println("PVKITRIG READY");
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            Thread.sleep(1000);
            if (new java.io.File("/tmp/pvkit-stop").exists()) break;
        }
        System.out.println("PVKITRIG vif state " + nb.state() + " queues " + nb.queueCount() + " tx " + tx.get() + " rx " + rx.get()
                + " responder answered " + responder.answered());
        System.out.println("PVKITRIG served " + served.get() + " refused " + refused.get() + " state " + bb.state()
                + " protocol " + bb.protocol().map(p -> p.node()).orElse("-") + " queues " + bb.queueCount());
        byte[] head = new byte[64];
        store.read(0, java.nio.ByteBuffer.wrap(head));
        System.out.println("PVKITRIG disk starts: " + new String(head, 0, 24, java.nio.charset.StandardCharsets.US_ASCII));
        System.exit(0);
    }
}
