package dev.pvkit.backends.blk;

import dev.pvkit.sdk.testkit.Completion;
import dev.pvkit.sdk.testkit.DeviceHarness;
import dev.pvkit.sdk.testkit.DeviceHarness.Buffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.pvkit.backends.blk.VirtioBlk.*;

/**
 * A virtio-blk driver on the SDK's test kit: requests laid out as a driver lays them out (header, data, status
 * byte), well-formed or not, posted to a {@link VirtioBlkDevice} through a {@link DeviceHarness}; answers read back
 * as the status byte, the used length and the data.
 */
final class BlkDriver implements AutoCloseable {
    static final int QUEUE_SIZE = 128;
    /** What the writable bytes hold until the device writes them. */
    static final byte UNWRITTEN = DeviceHarness.UNWRITTEN;

    final DeviceHarness harness;

    private BlkDriver(DeviceHarness harness) {
        this.harness = harness;
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

    /** Negotiates {@code wanted} (a packed ring when it has RING_PACKED) and starts every queue of {@code device}. */
    static BlkDriver start(VirtioBlkDevice device, long wanted) {
        boolean packed = VirtioFeatures.has(wanted, VirtioFeatures.RING_PACKED);
        return new BlkDriver(DeviceHarness.of(device).features(wanted)
                .ring(packed ? DeviceHarness.Format.PACKED : DeviceHarness.Format.SPLIT).queueSize(QUEUE_SIZE).start());
    }

    /** The features negotiated. */
    long features() {
        return harness.features();
    }

    @Override
    public void close() {
        harness.close();
    }

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

        /** The chain: header (in two buffers when split), OUT data in pieces; IN data in pieces, the status area. */
        Buffers buffers() {
            List<byte[]> readable = new ArrayList<>();
            if (splitHeader && header.length > 5) {
                readable.add(Arrays.copyOf(header, 5));
                readable.add(Arrays.copyOfRange(header, 5, header.length));
            } else if (header.length > 0) {
                readable.add(header);
            }
            for (int[] p : split(out.length, pieces)) readable.add(Arrays.copyOfRange(out, p[0], p[0] + p[1]));
            List<Integer> writable = new ArrayList<>();
            for (int[] p : split(inBytes, pieces)) writable.add(p[1]);
            if (statusBytes > 0) writable.add(statusBytes);
            return new Buffers(readable, writable, indirect);
        }
    }

    /** {@code length} bytes as {@code n} pieces {offset, length} (the last takes the remainder; none for 0 bytes). */
    static List<int[]> split(int length, int n) {
        List<int[]> s = new ArrayList<>();
        if (length == 0) return s;
        int count = Math.max(1, Math.min(n, length));
        int each = length / count;
        for (int i = 0; i < count; i++) s.add(new int[]{each * i, i == count - 1 ? length - each * (count - 1) : each});
        return s;
    }

    /** What came back: the status byte (-1 when the request had no writable byte), used length, IN data, status area. */
    record Done(int status, long used, byte[] data, byte[] statusArea) {
        static Done of(Req r, Completion c) {
            byte[] w = c.writable();
            byte[] statusArea = Arrays.copyOfRange(w, r.inBytes(), w.length);
            int status = r.statusBytes() == 0 ? -1 : statusArea[r.statusBytes() - 1] & 0xff;
            return new Done(status, c.written(), Arrays.copyOf(w, r.inBytes()), statusArea);
        }
    }

    Done submit(int queue, Req r) {
        return submit(queue, List.of(r)).get(0);
    }

    /** Posts every request on {@code queue}, then waits for all of them; results in request order. */
    List<Done> submit(int queue, List<Req> reqs) {
        Map<Integer, Integer> indexOfId = new HashMap<>();
        for (int k = 0; k < reqs.size(); k++) indexOfId.put(harness.post(queue, reqs.get(k).buffers()), k);
        Done[] out = new Done[reqs.size()];
        for (Completion c : harness.awaitCompletions(reqs.size())) {
            int k = indexOfId.get(c.id());
            out[k] = Done.of(reqs.get(k), c);
        }
        return Arrays.asList(out);
    }
}
