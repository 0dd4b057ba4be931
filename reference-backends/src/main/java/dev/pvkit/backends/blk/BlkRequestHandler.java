package dev.pvkit.backends.blk;

import dev.pvkit.sdk.device.ReadableBuffers;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static dev.pvkit.backends.blk.VirtioBlk.*;

/**
 * Turns one virtio-blk descriptor chain into a {@link BlockEngine} call (spec 11.5): a 16-byte header in the
 * readable part (it may span descriptors), then data, then the status byte as the last writable byte of the
 * chain. Nothing a guest puts in a chain makes this throw.
 */
final class BlkRequestHandler {
    private static final Logger LOG = LoggerFactory.getLogger(BlkRequestHandler.class);

    /** Discard / write-zeroes segments read from guest memory at a time. */
    private static final int SEGMENT_BATCH = 256;

    private final BlockEngine engine;
    /** Null when nobody listens: then nothing is collected for it. */
    private volatile BlkRequestListener listener;
    private final java.util.concurrent.atomic.AtomicBoolean listenerFailureLogged = new java.util.concurrent.atomic.AtomicBoolean();

    BlkRequestHandler(BlockEngine engine) {
        this.engine = engine;
    }

    void listener(BlkRequestListener l) {
        listener = l;
    }

    /** Tells the listener, if any, about a feature negotiation. */
    void negotiated(VirtioBlkDevice device, long features) {
        BlkRequestListener l = listener;
        if (l == null) return;
        try {
            l.featuresNegotiated(device.facts(features));
        } catch (RuntimeException | LinkageError | AssertionError e) {
            listenerFailed(l, e);
        }
    }

    private void listenerFailed(BlkRequestListener l, Throwable e) {
        if (listenerFailureLogged.compareAndSet(false, true)) {
            LOG.warn("request listener {} failed (contained; further failures are not logged): {}", l, e.toString(), e);
        }
    }

    /** What {@link #ranges} decoded, for the listener: whole segments and the OR of the flags read. */
    private static final class SegmentReport {
        long segments;
        int flags;
    }

    /**
     * Serves one request, its buffers {@code in} (header, then data) and {@code out} (data, then the status byte);
     * returns the bytes written (data + status), or 0 when no status can be reported. A chain too short for the
     * header still gets IOERR in its status byte.
     */
    long handle(int queue, int chainId, ReadableBuffers in, WritableBuffers out, long negotiated) {
        if (out.length() == 0) {
            LOG.warn("queue {} chain {}: no device-writable status byte (spec 11.5, DEV-BLK-068); returned unanswered", queue, chainId);
            return 0;
        }
        long statusAt = out.length() - 1;
        if (in.length() < HEADER_BYTES) {
            // No request to serve, but the status byte is there: report the failure where the driver looks for it.
            LOG.warn("queue {} chain {}: {} readable bytes, short of the 16-byte request header (spec 11.5); answered IOERR",
                    queue, chainId, in.length());
            out.writeU8(statusAt, (byte) BlockStatus.IOERR.code());
            return 1;
        }
        BlkRequestListener l = listener;
        SegmentReport report = l == null ? null : new SegmentReport();
        BlockStatus status;
        boolean decoded = false;
        int type = 0;
        long sector = 0;
        long written = 0;
        try {
            // One read each, however the driver split the header across descriptors.
            type = in.readLe32(0);
            sector = in.readLe64(8);
            decoded = true;
            long dataOut = statusAt;
            switch (type) {
                case T_IN -> {
                    ChainData data = ChainData.into(out);
                    try {
                        status = engine.readInto(sector, dataOut, data);
                    } finally {
                        written = data.filled();
                        data.release();
                    }
                }
                case T_OUT -> {
                    ChainData data = ChainData.from(in, HEADER_BYTES);
                    try {
                        status = engine.writeFrom(sector, in.length() - HEADER_BYTES, data);
                    } finally {
                        data.release();
                    }
                }
                case T_GET_ID -> {
                    if (dataOut < BlockEngine.ID_BYTES) {
                        LOG.debug("GET_ID with {} data bytes, not 20 [DRV-BLK-019]", dataOut);
                        status = BlockStatus.IOERR;
                    } else {
                        byte[] id = engine.id();
                        out.write(0, id, 0, id.length);
                        written = id.length;
                        status = BlockStatus.OK;
                    }
                }
                default -> status = dispatch(type, in, negotiated, report);
            }
        } catch (RuntimeException e) {
            // Guest memory changed under us or similar: still answer, as long as the status byte is reachable.
            LOG.warn("queue {} chain {}: {}", queue, chainId, e.toString());
            status = BlockStatus.IOERR;
        }
        out.writeU8(statusAt, (byte) status.code());
        if (l != null && decoded) {
            try {
                l.requestServed(queue, chainId, Integer.toUnsignedLong(type), sector, in.length() - HEADER_BYTES,
                        statusAt, report.segments, report.flags, status.code());
            } catch (RuntimeException | LinkageError | AssertionError e) {
                listenerFailed(l, e);
            }
        }
        return written + 1;
    }

    /**
     * Every request but reads, writes and GET_ID (which move their data in place, see {@link ChainData}).
     * {@code report}: null, or where to note segments.
     */
    private BlockStatus dispatch(int type, ReadableBuffers in, long negotiated, SegmentReport report) {
        return switch (type) {
            case T_FLUSH -> engine.flush();   // sector is ignored: DRV-BLK-015 asks for 0, but it carries no meaning
            case T_DISCARD, T_WRITE_ZEROES -> ranges(type == T_DISCARD, in, negotiated, report);
            default -> {
                if (type == T_SECURE_ERASE && report != null) report.segments = (in.length() - HEADER_BYTES) / SEGMENT_BYTES;
                LOG.debug("request type {} not supported", Integer.toUnsignedString(type));
                yield BlockStatus.UNSUPP;
            }
        };
    }

    /**
     * DISCARD and WRITE_ZEROES. The flag rules answer UNSUPP whatever else is wrong with the request
     * [DEV-BLK-026, DEV-BLK-027], so every whole segment is looked at before the segment count [DRV-BLK-020/022]
     * and the 16-byte granularity [DRV-BLK-018] can answer IOERR. One pass in bounded batches; at most
     * {@code max_*_seg} segments are kept, so a huge buffer never becomes a huge list.
     */
    private BlockStatus ranges(boolean discard, ReadableBuffers in, long negotiated, SegmentReport report) {
        long bytes = in.length() - HEADER_BYTES;
        long count = bytes / SEGMENT_BYTES;
        if (report != null) report.segments = count;
        if (!VirtioFeatures.has(negotiated, discard ? F_DISCARD : F_WRITE_ZEROES)) return BlockStatus.UNSUPP;
        String what = discard ? "DISCARD" : "WRITE_ZEROES";
        BlockLimits l = engine.limits();
        long maxSeg = Integer.toUnsignedLong(discard ? l.maxDiscardSeg() : l.maxWriteZeroesSeg());
        List<BlockRange> ranges = new ArrayList<>((int) Math.min(Math.min(count, maxSeg), SEGMENT_BATCH));
        byte[] batch = new byte[SEGMENT_BYTES * SEGMENT_BATCH];
        ByteBuffer b = ByteBuffer.wrap(batch).order(ByteOrder.LITTLE_ENDIAN);
        for (long done = 0; done < count; ) {
            int n = (int) Math.min(SEGMENT_BATCH, count - done);
            in.read(HEADER_BYTES + done * SEGMENT_BYTES, batch, 0, n * SEGMENT_BYTES);
            for (int i = 0; i < n; i++) {
                int at = i * SEGMENT_BYTES;
                BlockRange r = new BlockRange(b.getLong(at), Integer.toUnsignedLong(b.getInt(at + 8)), b.getInt(at + 12));
                if (report != null) report.flags |= r.flags();
                BlockStatus flags = BlockEngine.flagRule(discard, r);
                if (flags != null) return flags;
                if (ranges.size() < maxSeg) ranges.add(r); // more is IOERR below
            }
            done += n;
        }
        if (bytes % SEGMENT_BYTES != 0) {
            LOG.debug("{} data of {} bytes is not whole 16-byte segments [DRV-BLK-018]", what, bytes);
            return BlockStatus.IOERR;
        }
        if (count > maxSeg) {
            LOG.debug("{} with {} segments, more than {} [{}]", what, count, maxSeg, discard ? "DRV-BLK-020" : "DRV-BLK-022");
            return BlockStatus.IOERR;
        }
        return discard ? engine.discard(ranges) : engine.writeZeroes(ranges);
    }
}
