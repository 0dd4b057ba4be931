package dev.pvkit.conformance.selftest;

import dev.pvkit.backends.net.ControlCommand;
import dev.pvkit.backends.net.Ethernet;
import dev.pvkit.backends.net.EthernetSwitch;
import dev.pvkit.backends.net.Ipv4;
import dev.pvkit.backends.net.NetHeader;
import dev.pvkit.backends.net.NetOptions;
import dev.pvkit.backends.net.Responder;
import dev.pvkit.backends.net.Udp;
import dev.pvkit.backends.net.VirtioNet;
import dev.pvkit.backends.net.VirtioNetDevice;
import dev.pvkit.conformance.observe.BackendRecorder;
import dev.pvkit.conformance.observe.Event;
import dev.pvkit.conformance.observe.EventLog;
import dev.pvkit.conformance.observe.NetRecorder;
import dev.pvkit.conformance.observe.RingEvent;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A virtio-net driver for the net wrong drivers: a real {@link VirtioNetDevice} on a switch with a responder,
 * served over a real vhost-user socket, driven by the Java front-end with valid split rings (receive queue 0,
 * transmit queue 1), a {@link BackendRecorder} and a {@link NetRecorder} on one {@link EventLog}. The driver posts
 * receive buffers of the sizes a test wants and transmits packets with whatever header a test writes; nothing else
 * is ever wrong.
 */
final class NetRig implements AutoCloseable {
    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 8 << 20;
    static final long RX_RING = GUEST_BASE;
    static final long TX_RING = GUEST_BASE + 0x20000;
    static final long RX_DATA = GUEST_BASE + 0x100000;
    static final long TX_DATA = GUEST_BASE + 0x400000;
    static final long CTRL_RING = GUEST_BASE + 0x40000;
    static final long CTRL_DATA = GUEST_BASE + 0x600000;
    /** The device's queue pairs: two, so that a driver may negotiate MQ and ask for a number of pairs. */
    static final int PAIRS = 2;
    static final int QUEUE_SIZE = 64;
    static final int MTU = 1500;
    static final long GUEST_MAC = 0x5254_0000_0001L;
    static final int GUEST_IP = Ipv4.parse("10.0.2.15");
    static final long RESPONDER_MAC = 0x0200_0000_00feL;
    static final int RESPONDER_IP = Ipv4.parse("10.0.2.2");
    private static final Duration WAIT = Duration.ofSeconds(10);

    final EventLog log = new EventLog();
    private final Path dir;
    private final VirtioNetDevice device;
    private final VhostUserBackend backend;
    private final OwnedGuestMemory guest;
    private final VirtioFrontend fe;
    private final FrontendQueue rx;
    private final FrontendQueue tx;
    private FrontendQueue ctrl;
    private int rxPosted;
    private boolean stopped;

    /** What a driver usually takes: VERSION_1, MAC, STATUS, MTU, mergeable buffers and checksum offload. */
    static long features() {
        long f = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        for (int b : new int[]{VirtioNet.F_MAC, VirtioNet.F_STATUS, VirtioNet.F_MTU, VirtioNet.F_MRG_RXBUF, VirtioNet.F_CSUM}) {
            f |= VirtioFeatures.bit(b);
        }
        return f;
    }

    /** {@link #features()} with the control queue and {@code more}. */
    static long withControl(int... more) {
        long f = features() | VirtioFeatures.bit(VirtioNet.F_CTRL_VQ);
        for (int b : more) f |= VirtioFeatures.bit(b);
        return f;
    }

    static long without(long features, int... bits) {
        for (int b : bits) features &= ~VirtioFeatures.bit(b);
        return features;
    }

    NetRig(long wanted) {
        this(wanted, d -> d);
    }

    /** A rig whose device is served as {@code serveAs} makes it (for example held and reordered by generated behaviour). */
    NetRig(long wanted, java.util.function.Function<VirtioNetDevice, dev.pvkit.sdk.device.VirtioDevice> serveAs) {
        try {
            dir = Files.createTempDirectory("pvkit-net-selftest");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        EthernetSwitch sw = new EthernetSwitch();
        new Responder(sw, RESPONDER_MAC, RESPONDER_IP, 24);
        device = new VirtioNetDevice("selftest", sw, NetOptions.defaults().withPacked(false).withMtu(MTU).withQueuePairs(PAIRS)).trafficListener(new NetRecorder(log));
        backend = VhostUserBackend.serve(serveAs.apply(device), dir.resolve("net.sock"), VhostUserBackend.Options.defaults().withObserver(new BackendRecorder(log)));
        OwnedGuestMemory g = null;
        VirtioFrontend f = null;
        try {
            g = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
            f = VirtioFrontend.start(dir.resolve("net.sock"), g, wanted, ProtocolFeatures.OFFERED);
            rx = f.addQueue(VirtioNet.RX, QUEUE_SIZE, RX_RING, IndirectArea.NONE);
            tx = f.addQueue(VirtioNet.TX, QUEUE_SIZE, TX_RING, IndirectArea.NONE);
        } catch (RuntimeException e) {
            if (f != null) f.close();
            if (g != null) g.close();
            backend.close();
            device.close();
            throw e;
        }
        guest = g;
        fe = f;
    }

    /** Makes {@code count} receive buffers of {@code bytes} each available (the device holds them until frames come). */
    NetRig receiveBuffers(int count, int bytes) {
        for (int i = 0; i < count; i++) {
            rx.post(List.of(), List.of(new Segment(RX_DATA + (long) (rxPosted++ % QUEUE_SIZE) * 0x2000, bytes)), false);
        }
        rx.publishAndKick();
        // The device holds receive buffers, so no used entry says it took them: wait for its report of each.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (log.ordered().stream().filter(e -> e instanceof RingEvent.NetReceiveBuffer).count() < rxPosted) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("the device did not take " + rxPosted + " receive buffers");
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return this;
    }

    /** Transmits {@code header} then {@code frame} (in two descriptors, as Linux does with a separate header) and waits for it. */
    NetRig transmit(byte[] header, byte[] frame) {
        GuestMemory m = fe.memory();
        List<Segment> readable = new ArrayList<>();
        m.write(TX_DATA, header, 0, header.length);
        readable.add(new Segment(TX_DATA, header.length));
        if (frame.length > 0) {
            m.write(TX_DATA + 0x1000, frame, 0, frame.length);
            readable.add(new Segment(TX_DATA + 0x1000, frame.length));
        }
        tx.post(readable, List.of(), false);
        tx.publishAndKick();
        if (tx.awaitUsed(1, WAIT).size() != 1) throw new IllegalStateException("the device did not return a transmitted packet");
        return this;
    }

    /** The chains of a burst as posted, and as the device gave them back. */
    record Burst(List<Integer> posted, List<Integer> used) {
    }

    /**
     * Transmits {@code frames} (each behind a plain header) in one burst, one kick for all, and waits up to {@code wait}
     * for them to come back; a driver with a flaw does with the order and the wait what it will.
     */
    Burst transmitBurst(List<byte[]> frames, Duration wait) {
        GuestMemory m = fe.memory();
        List<Integer> posted = new ArrayList<>();
        byte[] header = plain().encode();
        for (int i = 0; i < frames.size(); i++) {
            long at = TX_DATA + (long) (i % QUEUE_SIZE) * 0x2000;
            m.write(at, header, 0, header.length);
            m.write(at + 0x1000, frames.get(i), 0, frames.get(i).length);
            posted.add(tx.post(List.of(new Segment(at, header.length), new Segment(at + 0x1000, frames.get(i).length)), List.of(), false));
        }
        tx.publishAndKick();
        return new Burst(posted, tx.awaitUsed(frames.size(), wait).stream().map(u -> u.id()).toList());
    }

    /**
     * Sends {@code command} on the control queue (set up on first use, after the receive/transmit pairs) with one
     * writable byte for the ack, and returns the ack.
     */
    int control(ControlCommand command) {
        if (ctrl == null) ctrl = fe.addQueue(2 * PAIRS, QUEUE_SIZE, CTRL_RING, IndirectArea.NONE);
        byte[] b = command.encode();
        fe.memory().write(CTRL_DATA, b, 0, b.length);
        ctrl.post(List.of(new Segment(CTRL_DATA, b.length)), List.of(new Segment(CTRL_DATA + 0x1000, 1)), false);
        ctrl.publishAndKick();
        if (ctrl.awaitUsed(1, WAIT).size() != 1) throw new IllegalStateException("the device did not answer a control command");
        return fe.memory().readU8(CTRL_DATA + 0x1000) & 0xff;
    }

    /** The device asks the driver to announce itself (ANNOUNCE in its status), as after a migration. */
    NetRig requestAnnounce() {
        if (!device.announce()) throw new IllegalStateException("the device cannot ask for an announcement: GUEST_ANNOUNCE and CTRL_VQ not negotiated");
        return this;
    }

    /** Lets the time a driver has to answer an announce request pass, so that its silence counts. */
    NetRig waitPastAnnounceGrace() {
        try {
            Thread.sleep(dev.pvkit.conformance.check.NetAnnounceCheck.GRACE_MICROS / 1000 + 200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** A gratuitous ARP: a broadcast request for the guest's own address, which tells every peer where it is. */
    static byte[] gratuitousArp() {
        return dev.pvkit.backends.net.Arp.request(GUEST_MAC, GUEST_IP, GUEST_IP);
    }

    NetRig transmit(NetHeader header, byte[] frame) {
        return transmit(header.encode(), frame);
    }

    /** A UDP echo request of {@code data} bytes to the responder, its checksum complete. */
    static byte[] udp(int data) {
        return Udp.frame(GUEST_MAC, RESPONDER_MAC, GUEST_IP, 4000, RESPONDER_IP, 7, new byte[data]);
    }

    /** A header asking for nothing: no offload, num_buffers 0. */
    static NetHeader plain() {
        return new NetHeader(0, VirtioNet.GSO_NONE, 0, 0, 0, 0, 0);
    }

    /** NEEDS_CSUM for the UDP checksum of a {@link #udp} frame (checksum field at 34 + 6). */
    static NetHeader needsCsum() {
        return new NetHeader(VirtioNet.FLAG_NEEDS_CSUM, VirtioNet.GSO_NONE, 0, 0, Ipv4.AT + 20, 6, 0);
    }

    static String mac() {
        return Ethernet.formatMac(GUEST_MAC);
    }

    /** Disconnects, so the back-end has seen the whole run when the events are read; returns them. */
    List<Event> stop() {
        if (!stopped) {
            stopped = true;
            try {
                fe.close();
            } finally {
                backend.close();
                device.close();
            }
        }
        return log.ordered();
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            guest.close();
            try {
                Files.deleteIfExists(dir.resolve("net.sock"));
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // a temporary directory left behind
            }
        }
    }
}
