package dev.pvkit.backends.bench;

import dev.pvkit.backends.net.Ethernet;
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
import java.util.List;

/**
 * Frames per second through a vhost-user-net back-end that reflects them (PVKit's switch with a
 * {@link dev.pvkit.backends.net.MacSwapReflector}, or dpdk-testpmd in macswap mode), driven by PVKit's Java front-end
 * on one queue pair: it keeps the transmit ring full of frames addressed to the reflector, keeps the receive ring
 * full of buffers, polls both (no interrupts), and counts the frames that come back. The same front-end for every
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

    /** Frames that came back in {@code seconds}, and what that is per second and in Gbit/s of frame bytes. */
    public record Result(String target, int frameBytes, long frames, double seconds) {
        public double framesPerSecond() {
            return frames / seconds;
        }

        public double gbits() {
            return framesPerSecond() * frameBytes * 8 / 1e9;
        }
    }

    /** Runs {@code frameBytes}-byte frames through the back-end on {@code socket} for {@code duration} after a warm-up. */
    public static Result run(String target, Path socket, int frameBytes, Duration duration) {
        if (frameBytes < 60 || frameBytes > 1514) throw new IllegalArgumentException("frames of 60..1514 bytes, got " + frameBytes);
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioNet.F_MRG_RXBUF);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, features, ProtocolFeatures.OFFERED)) {
            FrontendQueue rx = fe.addQueue(VirtioNet.RX, QUEUE_SIZE, GUEST_BASE, IndirectArea.NONE);
            FrontendQueue tx = fe.addQueue(VirtioNet.TX, QUEUE_SIZE, GUEST_BASE + 0x10000, IndirectArea.NONE);
            // A back-end that negotiated STATUS (DPDK's) starts its rings only at DRIVER_OK, as a driver would say it.
            if ((fe.protocolFeatures() & (1L << ProtocolFeatures.STATUS)) != 0) fe.vhost().setStatus(DRIVER_READY);
            rx.driver().setInterruptsWanted(false);
            tx.driver().setInterruptsWanted(false);
            // Every transmit chain carries the same frame, every receive chain the same 2 KiB buffer: what is
            // measured is the rings and the back-end, not the front-end's memory.
            long frameAt = GUEST_BASE + 0x100000;
            byte[] packet = new byte[VirtioNet.HEADER_BYTES + frameBytes];
            Ethernet.putMac(packet, VirtioNet.HEADER_BYTES, REFLECTOR_MAC);
            Ethernet.putMac(packet, VirtioNet.HEADER_BYTES + 6, FRONTEND_MAC);
            packet[VirtioNet.HEADER_BYTES + 12] = (byte) 0x88;
            packet[VirtioNet.HEADER_BYTES + 13] = (byte) 0xb5; // local experimental EtherType: nobody answers it
            fe.memory().write(frameAt, packet, 0, packet.length);
            List<Segment> frame = List.of(new Segment(frameAt, packet.length));
            List<Segment> buffer = List.of(new Segment(GUEST_BASE + 0x200000, 2048));

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
                DriverQueue r = rx.driver();
                frames += r.reap().size();
                while (r.canPost(0, 1, false)) r.post(List.of(), buffer, false);
                rx.publishAndKick();
                DriverQueue t = tx.driver();
                t.reap();
                while (t.canPost(1, 0, false)) t.post(frame, List.of(), false);
                tx.publishAndKick();
            }
            return new Result(target, frameBytes, frames, (System.nanoTime() - start) / 1e9);
        }
    }
}
