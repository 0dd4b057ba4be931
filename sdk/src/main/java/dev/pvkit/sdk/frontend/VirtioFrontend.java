package dev.pvkit.sdk.frontend;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.MemoryRegion;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A guest in Java: memfd guest RAM shared with a vhost-user back-end, feature negotiation as QEMU does it, and
 * rings set up with PVKit's driver models. What tests and benchmarks use to drive a back-end without a VM.
 */
public final class VirtioFrontend implements AutoCloseable {
    private VhostUserFrontend vhost;
    private final SharedMemory guest;
    private VhostUserFrontend.InflightArea inflight;
    private final long features;
    private final long protocolFeatures;
    private final List<FrontendQueue> queues = new ArrayList<>();

    private VirtioFrontend(VhostUserFrontend vhost, SharedMemory guest, long features, long protocolFeatures) {
        this.vhost = vhost;
        this.guest = guest;
        this.features = features;
        this.protocolFeatures = protocolFeatures;
    }

    /**
     * Connects and negotiates: acknowledges {@code wantedFeatures} and {@code wantedProtocolFeatures} as far as the
     * back-end offers them, takes ownership, shares {@code guest}'s memory.
     */
    public static VirtioFrontend start(Path socket, OwnedGuestMemory guest, long wantedFeatures, long wantedProtocolFeatures) {
        return start(socket, SharedMemory.of(guest), wantedFeatures, wantedProtocolFeatures);
    }

    /** As {@link #start(Path, OwnedGuestMemory, long, long)}, for memory shared with explicit files and offsets. */
    public static VirtioFrontend start(Path socket, SharedMemory guest, long wantedFeatures, long wantedProtocolFeatures) {
        VhostUserFrontend v = VhostUserFrontend.connect(socket);
        try {
            long offered = v.getFeatures();
            long protocol = 0;
            long protocolBit = VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES);
            if ((offered & protocolBit) != 0) {
                protocol = v.getProtocolFeatures() & wantedProtocolFeatures;
                v.setProtocolFeatures(protocol);
            }
            v.setOwner();
            long acked = offered & (wantedFeatures | protocolBit);
            v.setFeatures(acked);
            v.setMemTable(guest);
            return new VirtioFrontend(v, guest, acked, protocol);
        } catch (RuntimeException e) {
            v.close();
            throw e;
        }
    }

    public VhostUserFrontend vhost() {
        return vhost;
    }

    public GuestMemory memory() {
        return guest.memory();
    }

    /** Negotiated virtio features (including vhost-user's bit 30 when offered). */
    public long features() {
        return features;
    }

    public long protocolFeatures() {
        return protocolFeatures;
    }

    /**
     * Lays out ring {@code index} of {@code size} entries at guest-physical {@code ringArea} (64 KiB suffice for 256
     * entries; the three parts go at +0, +32 KiB and +48 KiB), indirect tables in {@code indirect}, and starts it.
     */
    public FrontendQueue addQueue(int index, int size, long ringArea, IndirectArea indirect) {
        boolean packed = VirtioFeatures.has(features, VirtioFeatures.RING_PACKED);
        long desc = ringArea;
        long driverArea = ringArea + 0x8000;
        long deviceArea = ringArea + 0xc000;
        DriverQueue driver = packed
                ? new PackedDriverQueue(guest.memory(), new PackedRing(size, desc, driverArea, deviceArea), features, indirect, 0, true)
                : new SplitDriverQueue(guest.memory(), new SplitRing(size, desc, driverArea, deviceArea), features, indirect, 0);
        FrontendQueue q = new FrontendQueue(index, size, desc, driverArea, deviceArea, driver, EventFd.create(), EventFd.create());
        startRing(q, packed ? (1L << 15) | (1L << 31) : 0);
        queues.add(q);
        return q;
    }

    private void startRing(FrontendQueue q, long base) {
        startRing(q, base, true);
    }

    private void startRing(FrontendQueue q, long base, boolean enable) {
        int index = q.index();
        vhost.setVringNum(index, q.size());
        vhost.setVringAddr(index, user(q.descriptors()), user(q.deviceArea()), user(q.driverArea()));
        vhost.setVringBase(index, base);
        vhost.setVringCall(index, q.callFd());
        vhost.setVringKick(index, q.kickFd());
        if (enable && VirtioFeatures.has(features, ProtocolFeatures.F_PROTOCOL_FEATURES)) vhost.setVringEnable(index, true);
    }

    /**
     * Asks the back-end for an inflight area covering {@code queues} queues of {@code queueSize} (call before adding
     * queues, as QEMU does); kept here so that {@link #reconnect()} can hand it to a restarted back-end.
     */
    public void enableInflightTracking(int queues, int queueSize) {
        inflight = vhost.getInflightFd(queues, queueSize);
        vhost.setInflightFd(inflight);
    }

    /**
     * Reconnects to a back-end that was restarted (QEMU's {@code reconnect=}): negotiates again, shares the same
     * memory and inflight area, and restarts every ring where the driver left it, without touching ring memory.
     * The back-end finds the requests that were in flight in the inflight area and completes them.
     */
    public void reconnect(Path socket) {
        reconnect(socket, true);
    }

    /**
     * As {@link #reconnect(Path)}; with {@code enableRings} false (and protocol features negotiated) the rings are
     * started but left disabled, for the caller to change something first (a new memory table, say) and then enable
     * them with {@code vhost().setVringEnable}.
     */
    public void reconnect(Path socket, boolean enableRings) {
        vhost.close();
        vhost = VhostUserFrontend.connect(socket);
        if (protocolFeatures != 0 || (features & VirtioFeatures.bit(ProtocolFeatures.F_PROTOCOL_FEATURES)) != 0) {
            vhost.getProtocolFeatures();
            vhost.setProtocolFeatures(protocolFeatures);
        }
        vhost.setOwner();
        vhost.setFeatures(features);
        vhost.setMemTable(guest);
        if (inflight != null) vhost.setInflightFd(inflight);
        // The back-end takes the positions from the inflight area. Without one a split ring's base means little
        // (the used index is in the ring); a packed ring's must be a valid position: the driver's used position,
        // for both halves, as QEMU restores it after a lost back-end.
        for (FrontendQueue q : queues) startRing(q, reconnectBase(q), enableRings);
    }

    private static long reconnectBase(FrontendQueue q) {
        if (!(q.driver() instanceof PackedDriverQueue packed)) return 0;
        long used = (packed.base() >>> 16) & 0xffff;
        return used | used << 16;
    }

    /** The front-end virtual address of guest-physical {@code gpa}. */
    public long user(long gpa) {
        for (MemoryRegion r : guest.memory().regions()) {
            if (gpa >= r.guestPhysical() && gpa < r.guestEnd()) return r.userAddress() + (gpa - r.guestPhysical());
        }
        throw new IllegalArgumentException(String.format("0x%x is not guest memory", gpa));
    }

    @Override
    public void close() {
        vhost.close();
        queues.forEach(FrontendQueue::close);
        if (inflight != null) inflight.close();
    }
}
