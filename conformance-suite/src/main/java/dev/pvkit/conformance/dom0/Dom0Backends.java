package dev.pvkit.conformance.dom0;

import dev.pvkit.backends.blk.BlockEngine;
import dev.pvkit.backends.blk.BlockLimits;
import dev.pvkit.backends.blk.MemoryBlockStore;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.xenblk.BlkbackOptions;
import dev.pvkit.backends.xenblk.Blkback;
import dev.pvkit.backends.xenblk.VbdPaths;
import dev.pvkit.backends.xennet.Netback;
import dev.pvkit.backends.xennet.NetbackOptions;
import dev.pvkit.backends.xennet.VifPaths;
import dev.pvkit.conformance.observe.XenEventCodec;
import dev.pvkit.conformance.observe.XenRecorder;
import dev.pvkit.sdk.xen.host.HostXen;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Properties;

/**
 * What the live Xen rig runs in dom0, in the host's JVM: PVKit's blkback (an in-memory disk, as xvda) and netback (on
 * a switch with the responder at 169.254.0.1) for one domU, each watched by a {@link XenRecorder}. It writes
 * {@code ready} in the run directory once both serve, and when {@code stop} appears there writes what it saw:
 * {@code vbd.events.jsonl}, {@code vif.events.jsonl}, {@code backends.properties} (counters, and the md5 of the
 * disk's first MiB, where the workload's pattern went), then {@code events-written}.
 * <p>Arguments: the domU's id, the run directory, the disk's size in MiB.
 */
public final class Dom0Backends {
    /** xvda's device number (202 << 8), as blkfront names it. */
    static final int XVDA = 51712;
    static final long GUEST_MAC = 0x0016_3e5a_0002L;
    public static final String RESPONDER = "169.254.0.1";
    /** A bound on a forgotten run: dom0's /init stops it long before. */
    private static final long MAX_SECONDS = 600;

    private Dom0Backends() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Dom0Backends <domU id> <run directory> <disk MiB>");
            System.exit(2);
        }
        int domU = Integer.parseInt(args[0]);
        Path run = Path.of(args[1]);
        int diskMiB = Integer.parseInt(args[2]);
        long t0 = System.nanoTime();
        XenRecorder vbdSeen = new XenRecorder("vbd");
        XenRecorder vifSeen = new XenRecorder("vif");
        try (HostXen xen = HostXen.open()) {
            VbdPaths vbd = new VbdPaths(xen.domid(), domU, XVDA, VbdPaths.PVKIT_KIND);
            vbd.create(xen.store(), XVDA);
            MemoryBlockStore disk = new MemoryBlockStore((long) diskMiB << 20);
            BlockEngine engine = new BlockEngine(disk, ((long) diskMiB << 20) / 512, false, BlockLimits.defaults(), "pvkit-xen");
            EthernetSwitch sw = new EthernetSwitch();
            Responder responder = new Responder(sw, 0x0200_0000_00feL, Ipv4.parse(RESPONDER), 24);
            VifPaths vif = new VifPaths(xen.domid(), domU, 0, VifPaths.PVKIT_KIND);
            vif.create(xen.store(), GUEST_MAC);
            try (Blkback blk = new Blkback(xen, vbd, engine, BlkbackOptions.defaults(), vbdSeen, vbdSeen);
                 Netback net = new Netback(xen, vif, sw, NetbackOptions.defaults(), vifSeen, vifSeen)) {
                blk.start();
                net.start();
                Files.writeString(run.resolve("ready"), String.format("in %.1f s, dom0 is domain %d", (System.nanoTime() - t0) / 1e9, xen.domid()));
                long end = System.nanoTime() + MAX_SECONDS * 1_000_000_000L;
                while (!Files.exists(run.resolve("stop")) && System.nanoTime() < end) Thread.sleep(200);
                Properties p = new Properties();
                p.setProperty("vbd.state", blk.state().toString());
                p.setProperty("vbd.protocol", blk.protocol().map(Object::toString).orElse("none"));
                p.setProperty("vbd.queues", Integer.toString(blk.queueCount()));
                p.setProperty("vbd.firstMiBMd5", md5(disk, Math.min(1 << 20, (long) diskMiB << 20)));
                p.setProperty("vif.state", net.state().toString());
                p.setProperty("vif.queues", Integer.toString(net.queueCount()));
                p.setProperty("responder.answered", Long.toString(responder.answered()));
                try (OutputStream os = Files.newOutputStream(run.resolve("backends.properties"))) {
                    p.store(os, "PVKit's back-ends in dom0");
                }
            }
        }
        XenEventCodec.write(vbdSeen.events(), run.resolve("vbd.events.jsonl"));
        XenEventCodec.write(vifSeen.events(), run.resolve("vif.events.jsonl"));
        Files.writeString(run.resolve("events-written"), "");
        System.exit(0);
    }

    private static String md5(MemoryBlockStore disk, long bytes) throws Exception {
        byte[] b = new byte[(int) bytes];
        disk.read(0, ByteBuffer.wrap(b));
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
    }
}
