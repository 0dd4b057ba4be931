package dev.pvkit.backends.blk;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.Segment;
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

    private final BlockEngine engine;

    BlkRequestHandler(BlockEngine engine) {
        this.engine = engine;
    }

    /** Serves {@code chain}; returns the bytes written (data + status), or 0 when no status can be reported. */
    long handle(int queue, Chain chain, GuestMemory memory, long negotiated) {
        long statusAddress = lastWritableByte(chain);
        if (statusAddress < 0) {
            LOG.warn("queue {} chain {}: no device-writable status byte (spec 11.5, DEV-BLK-068); returned unanswered", queue, chain.id());
            return 0;
        }
        if (chain.readableBytes() < HEADER_BYTES) {
            LOG.warn("queue {} chain {}: {} readable bytes, short of the 16-byte request header (spec 11.5); returned unanswered",
                    queue, chain.id(), chain.readableBytes());
            return 0;
        }
        ChainReader in = chain.reader(memory);
        ChainWriter out = chain.writer(memory);
        BlockStatus status;
        try {
            ByteBuffer header = ByteBuffer.wrap(in.readBytes(HEADER_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            status = dispatch(header.getInt(0), header.getLong(8), in, out, chain.writableBytes() - 1, negotiated);
        } catch (RuntimeException e) {
            // Guest memory changed under us or similar: still answer, as long as the status byte is reachable.
            LOG.warn("queue {} chain {}: {}", queue, chain.id(), e.toString());
            status = BlockStatus.IOERR;
        }
        memory.writeU8(statusAddress, (byte) status.code());
        return out.written() + 1;
    }

    /** {@code dataOut}: writable bytes before the status byte. */
    private BlockStatus dispatch(int type, long sector, ChainReader in, ChainWriter out, long dataOut, long negotiated) {
        return switch (type) {
            case T_IN -> engine.read(sector, dataOut, chunk -> out.write(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining()));
            case T_OUT -> engine.write(sector, in.remaining(), chunk -> {
                in.read(chunk.array(), chunk.arrayOffset() + chunk.position(), chunk.remaining());
                chunk.position(chunk.limit());
            });
            case T_FLUSH -> engine.flush();   // sector is ignored: DRV-BLK-015 asks for 0, but it carries no meaning
            case T_GET_ID -> {
                if (dataOut < BlockEngine.ID_BYTES) {
                    LOG.debug("GET_ID with {} data bytes, not 20 [DRV-BLK-019]", dataOut);
                    yield BlockStatus.IOERR;
                }
                out.write(engine.id());
                yield BlockStatus.OK;
            }
            case T_DISCARD, T_WRITE_ZEROES -> ranges(type == T_DISCARD, in, negotiated);
            default -> {
                LOG.debug("request type {} not supported", Integer.toUnsignedString(type));
                yield BlockStatus.UNSUPP;
            }
        };
    }

    private BlockStatus ranges(boolean discard, ChainReader in, long negotiated) {
        if (!VirtioFeatures.has(negotiated, discard ? F_DISCARD : F_WRITE_ZEROES)) return BlockStatus.UNSUPP;
        long bytes = in.remaining();
        if (bytes % SEGMENT_BYTES != 0) {
            LOG.debug("{} data of {} bytes is not whole 16-byte segments [DRV-BLK-018]", discard ? "DISCARD" : "WRITE_ZEROES", bytes);
            return BlockStatus.IOERR;
        }
        BlockLimits l = engine.limits();
        long maxSeg = Integer.toUnsignedLong(discard ? l.maxDiscardSeg() : l.maxWriteZeroesSeg());
        // Too many segments: answer before reading them, so a huge buffer never becomes a huge list.
        if (bytes / SEGMENT_BYTES > maxSeg) {
            LOG.debug("{} with {} segments, more than {} [{}]", discard ? "DISCARD" : "WRITE_ZEROES", bytes / SEGMENT_BYTES, maxSeg,
                    discard ? "DRV-BLK-020" : "DRV-BLK-022");
            return BlockStatus.IOERR;
        }
        List<BlockRange> ranges = new ArrayList<>((int) (bytes / SEGMENT_BYTES));
        while (in.remaining() > 0) {
            ByteBuffer s = ByteBuffer.wrap(in.readBytes(SEGMENT_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            ranges.add(new BlockRange(s.getLong(0), Integer.toUnsignedLong(s.getInt(8)), s.getInt(12)));
        }
        return discard ? engine.discard(ranges) : engine.writeZeroes(ranges);
    }

    /** The guest-physical address of the chain's last writable byte, or -1 when it has none. */
    static long lastWritableByte(Chain chain) {
        List<Segment> w = chain.writable();
        for (int i = w.size() - 1; i >= 0; i--) {
            Segment s = w.get(i);
            if (s.unsignedLength() > 0) return s.address() + s.unsignedLength() - 1;
        }
        return -1;
    }
}
