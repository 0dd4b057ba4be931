package dev.pvkit.backends.bench;

import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.Udp;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames per second through a vhost-user-net back-end that reflects them (PVKit's switch with a
 * {@link dev.pvkit.backends.net.MacSwapReflector}, or dpdk-testpmd in macswap mode), driven by PVKit's Java front-end
 * on one or more queue pairs: it keeps every transmit ring full of UDP frames addressed to the reflector (one flow per
 * pair, so that a back-end steering by flow answers each on its own pair), keeps every receive ring full of buffers,
 * polls them all from one thread (no interrupts), and counts the frames that come back. The same front-end for every
 * back-end, so the ratio compares back-ends.
 */
public final class NetBench {
    private NetBench() {
    }

    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 16 << 20;
    static final int QUEUE_SIZE = 256;
    /** ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK. */
    private static final int DRIVER_READY = 1 | 2 | 8 | 4;
    /** The front-end's MAC, and the reflector's (PVKit's); testpmd's macswap reflects whatever the address. */
    public static final long FRONTEND_MAC = 0x0200_0000_0a01L;
    public static final long REFLECTOR_MAC = 0x0200_0000_0a02L;
    private static final int FRONTEND_IP = Ipv4.parse("10.9.0.1");
    private static final int REFLECTOR_IP = Ipv4.parse("10.9.0.2");

    /** Frames that came back in {@code seconds} on {@code queuePairs} pairs, and what that is per second and in Gbit/s of frame bytes. */
    public record Result(String target, int queuePairs, int frameBytes, long frames, double seconds) {
        public double framesPerSecond() {
            return frames / seconds;
        }

        public double gbits() {
            return framesPerSecond() * frameBytes * 8 / 1e9;
        }
    }

    /** One queue pair: {@link #run(String, Path, int, int, Duration)} with 1. */
    public static Result run(String target, Path socket, int frameBytes, Duration duration) {
        return run(target, socket, 1, frameBytes, duration);
    }

    /** Runs {@code frameBytes}-byte frames through the back-end on {@code socket} over {@code pairs} queue pairs for {@code duration} after a warm-up. */
    public static Result run(String target, Path socket, int pairs, int frameBytes, Duration duration) {
        if (frameBytes < 60 || frameBytes > 1514) throw new IllegalArgumentException("frames of 60..1514 bytes, got " + frameBytes);
        if (pairs < 1 || pairs > 8) throw new IllegalArgumentException("queue pairs 1..8, got " + pairs);
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioNet.F_MRG_RXBUF);
        if (pairs > 1) features |= VirtioFeatures.bit(VirtioNet.F_MQ);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, features, ProtocolFeatures.OFFERED)) {
            FrontendQueue[] rx = new FrontendQueue[pairs];
            FrontendQueue[] tx = new FrontendQueue[pairs];
            List<List<Segment>> frame = new ArrayList<>();
            for (int p = 0; p < pairs; p++) {
                rx[p] = fe.addQueue(2 * p, QUEUE_SIZE, GUEST_BASE + 0x20000L * p, IndirectArea.NONE);
                tx[p] = fe.addQueue(2 * p + 1, QUEUE_SIZE, GUEST_BASE + 0x20000L * p + 0x10000, IndirectArea.NONE);
                rx[p].driver().setInterruptsWanted(false);
                tx[p].driver().setInterruptsWanted(false);
                // Every transmit chain of a pair carries the same frame, every receive chain the same 2 KiB buffer:
                // what is measured is the rings and the back-end, not the front-end's memory.
                long frameAt = GUEST_BASE + 0x200000 + 0x1000L * p;
                byte[] udp = Udp.frame(FRONTEND_MAC, REFLECTOR_MAC, FRONTEND_IP, 9000 + p, REFLECTOR_IP, 9, new byte[frameBytes - 42]);
                byte[] packet = new byte[VirtioNet.HEADER_BYTES + udp.length];
                System.arraycopy(udp, 0, packet, VirtioNet.HEADER_BYTES, udp.length);
                fe.memory().write(frameAt, packet, 0, packet.length);
                frame.add(List.of(new Segment(frameAt, packet.length)));
            }
            // A back-end that negotiated STATUS (DPDK's) starts its rings only at DRIVER_OK, as a driver would say it.
            if ((fe.protocolFeatures() & (1L << ProtocolFeatures.STATUS)) != 0) fe.vhost().setStatus(DRIVER_READY);
            List<Segment> buffer = List.of(new Segment(GUEST_BASE + 0x400000, 2048));

            long warmEnd = System.nanoTime() + Math.min(duration.toNanos() / 5, 1_000_000_000L);
            long start = 0;
            long end = 0;
            long frames = 0;
            boolean measuring = false;
            while (true) {
                long now = System.nanoTime();
                if (!measuring && now >= warmEnd) {
                    measuring = true;
                    start = now;
                    end = now + duration.toNanos();
                    frames = 0;
                }
                if (measuring && now >= end) break;
                for (int p = 0; p < pairs; p++) {
                    DriverQueue r = rx[p].driver();
                    frames += r.reap().size();
                    while (r.canPost(0, 1, false)) r.post(List.of(), buffer, false);
                    rx[p].publishAndKick();
                    DriverQueue t = tx[p].driver();
                    t.reap();
                    while (t.canPost(1, 0, false)) t.post(frame.get(p), List.of(), false);
                    tx[p].publishAndKick();
                }
            }
            return new Result(target, pairs, frameBytes, frames, (System.nanoTime() - start) / 1e9);
        }
    }
}
