package dev.pvkit.backends.blk;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.vhostuser.VhostUserBackend;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.pvkit.backends.blk.VirtioBlk.*;

/**
 * A guest for the block device: the Java vhost-user front-end over a real unix socket and memfd guest memory,
 * building virtio-blk requests the way a driver does (header, data, status), well-formed or not.
 */
final class BlkTestBed implements AutoCloseable {
    static final long GUEST_BASE = 0x100000;
    static final long GUEST_SIZE = 32 << 20;
    static final long RINGS = GUEST_BASE;                 // queue i: + 64 KiB * i
    static final long INDIRECT = GUEST_BASE + 0x100000;   // queue i: + 64 KiB * i
    static final long DATA = GUEST_BASE + 0x400000;       // request slot k: + 128 KiB * k
    static final long SLOT = 0x20000;
    static final int MAX_BATCH = 64;
    static final int QUEUE_SIZE = 128;
    static final Duration WAIT = Duration.ofSeconds(10);
    static final byte SENTINEL = (byte) 0xEE;

    final VhostUserBackend backend;
    final OwnedGuestMemory guest;
    final VirtioFrontend fe;
    final List<FrontendQueue> queues = new ArrayList<>();

    private BlkTestBed(VhostUserBackend backend, OwnedGuestMemory guest, VirtioFrontend fe) {
        this.backend = backend;
        this.guest = guest;
        this.fe = fe;
    }

    /** Every transport and blk feature a driver might take, packed or split. */
    static long features(boolean packed) {
        long f = 0;
        for (int b : new int[]{VirtioFeatures.VERSION_1, VirtioFeatures.EVENT_IDX, VirtioFeatures.INDIRECT_DESC, F_SIZE_MAX,
                F_SEG_MAX, F_RO, F_BLK_SIZE, F_FLUSH, F_TOPOLOGY, F_CONFIG_WCE, F_MQ, F_DISCARD, F_WRITE_ZEROES}) {
            f |= VirtioFeatures.bit(b);
        }
        return packed ? f | VirtioFeatures.bit(VirtioFeatures.RING_PACKED) : f;
    }

    /** Serves {@code device} at {@code socket}, connects, negotiates {@code wanted} and starts {@code queueCount} rings. */
    static BlkTestBed start(Path socket, VirtioBlkDevice device, long wanted, int queueCount) {
        VhostUserBackend b = VhostUserBackend.serve(device, socket, VhostUserBackend.Options.defaults().withWorkers(Math.max(1, queueCount)));
        OwnedGuestMemory g = null;
        try {
            g = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, GUEST_SIZE)));
            VirtioFrontend fe = VirtioFrontend.start(socket, g, wanted, ProtocolFeatures.OFFERED);
            BlkTestBed bed = new BlkTestBed(b, g, fe);
            for (int i = 0; i < queueCount; i++) {
                bed.queues.add(fe.addQueue(i, QUEUE_SIZE, RINGS + 0x10000L * i, new IndirectArea(INDIRECT + 0x10000L * i, 8)));
            }
            return bed;
        } catch (RuntimeException e) {
            if (g != null) g.close();
            b.close();
            throw e;
        }
    }

    /** A driver over a front-end connected to a back-end elsewhere (another process); closing it closes nothing. */
    static BlkTestBed overFrontend(VirtioFrontend fe, FrontendQueue q) {
        BlkTestBed bed = new BlkTestBed(null, null, fe);
        bed.queues.add(q);
        return bed;
    }

    GuestMemory memory() {
        return fe.memory();
    }

    @Override
    public void close() {
        if (backend == null) return;
        try {
            fe.close();
        } finally {
            try {
                backend.close();
            } finally {
                guest.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ requests

    /**
     * One request as a driver lays it out. {@code header}: the readable header bytes (normally 16); {@code out}:
     * readable data after it; {@code inBytes}: writable data bytes; {@code statusBytes}: writable bytes after the
     * data (normally 1; the status is the last); data split into {@code pieces} buffers; {@code splitHeader}: the
     * header in two descriptors.
     */
    record Req(byte[] header, byte[] out, int inBytes, int statusBytes, int pieces, boolean indirect, boolean splitHeader) {
        static byte[] header(int type, long sector) {
            return ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type).putLong(8, sector).array();
        }

        static Req of(int type, long sector) {
            return new Req(header(type, sector), new byte[0], 0, 1, 1, false, false);
        }

        static Req in(long sector, int bytes) {
            return of(T_IN, sector).withIn(bytes);
        }

        static Req out(long sector, byte[] data) {
            return of(T_OUT, sector).withOut(data);
        }

        static Req flush() {
            return of(T_FLUSH, 0);
        }

        static Req getId() {
            return of(T_GET_ID, 0).withIn(20);
        }

        static Req ranges(int type, BlockRange... ranges) {
            ByteBuffer b = ByteBuffer.allocate(ranges.length * SEGMENT_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (BlockRange r : ranges) b.putLong(r.sector()).putInt((int) r.sectors()).putInt(r.flags());
            return of(type, 0).withOut(b.array());
        }

        Req withOut(byte[] data) {
            return new Req(header, data, inBytes, statusBytes, pieces, indirect, splitHeader);
        }

        Req withIn(int bytes) {
            return new Req(header, out, bytes, statusBytes, pieces, indirect, splitHeader);
        }

        Req withHeader(byte[] h) {
            return new Req(h, out, inBytes, statusBytes, pieces, indirect, splitHeader);
        }

        Req withStatusBytes(int n) {
            return new Req(header, out, inBytes, n, pieces, indirect, splitHeader);
        }

        Req shaped(int newPieces, boolean newIndirect, boolean newSplitHeader) {
            return new Req(header, out, inBytes, statusBytes, newPieces, newIndirect, newSplitHeader);
        }
    }

    /** What came back: the status byte (-1 when the request had no writable byte), used length, IN data. */
    record Done(int status, long used, byte[] data, byte[] statusArea) {
    }

    Done submit(int queue, Req r) {
        return submit(queue, List.of(r)).get(0);
    }

    /** Posts every request on {@code queue}, kicks once, waits for all of them; results in request order. */
    List<Done> submit(int queue, List<Req> reqs) {
        if (reqs.size() > MAX_BATCH) throw new IllegalArgumentException("batch too large");
        GuestMemory m = memory();
        FrontendQueue q = queues.get(queue);
        Map<Integer, Integer> slotOfId = new HashMap<>();
        for (int k = 0; k < reqs.size(); k++) {
            Req r = reqs.get(k);
            long slot = DATA + SLOT * k;
            List<Segment> readable = new ArrayList<>();
            List<Segment> writable = new ArrayList<>();
            if (r.header.length > 0) {
                m.write(slot, r.header, 0, r.header.length);
                if (r.splitHeader && r.header.length > 5) {
                    m.write(slot + 0x100, r.header, 5, r.header.length - 5);
                    readable.add(new Segment(slot, 5));
                    readable.add(new Segment(slot + 0x100, r.header.length - 5));
                } else {
                    readable.add(new Segment(slot, r.header.length));
                }
            }
            long data = slot + 0x1000;
            if (r.out.length > 0) {
                m.write(data, r.out, 0, r.out.length);
                readable.addAll(pieces(data, r.out.length, r.pieces));
            }
            if (r.inBytes > 0) {
                m.fill(data, r.inBytes, SENTINEL);
                writable.addAll(pieces(data, r.inBytes, r.pieces));
            }
            if (r.statusBytes > 0) {
                m.fill(slot + 0x800, r.statusBytes, SENTINEL);
                writable.add(new Segment(slot + 0x800, r.statusBytes));
            }
            slotOfId.put(q.post(readable, writable, r.indirect), k);
        }
        q.publishAndKick();
        List<DriverQueue.Used> used = q.awaitUsed(reqs.size(), WAIT);
        Done[] out = new Done[reqs.size()];
        for (DriverQueue.Used u : used) {
            int k = slotOfId.get(u.id());
            Req r = reqs.get(k);
            long slot = DATA + SLOT * k;
            byte[] in = new byte[r.inBytes];
            m.read(slot + 0x1000, in, 0, in.length);
            byte[] statusArea = new byte[r.statusBytes];
            m.read(slot + 0x800, statusArea, 0, statusArea.length);
            int status = r.statusBytes == 0 ? -1 : statusArea[r.statusBytes - 1] & 0xff;
            out[k] = new Done(status, u.length(), in, statusArea);
        }
        return Arrays.asList(out);
    }

    /** {@code length} bytes at {@code address} as {@code n} buffers (the last takes the remainder). */
    static List<Segment> pieces(long address, int length, int n) {
        int count = Math.max(1, Math.min(n, length));
        List<Segment> s = new ArrayList<>();
        int each = length / count;
        for (int i = 0; i < count; i++) {
            int len = i == count - 1 ? length - each * (count - 1) : each;
            s.add(new Segment(address + (long) each * i, len));
        }
        return s;
    }
}
