package dev.pvkit.backends.blk;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Block request semantics over a {@link BlockStore}, in 512-byte sectors, independent of any transport (virtio
 * here; a Xen blkback could drive it as well). Every method validates its request and answers a
 * {@link BlockStatus}; nothing is thrown for a bad request or a failing store, and nothing is stored unless the
 * whole request is valid.
 *
 * <p>Cache mode: in writethrough mode every write, discard and write-zeroes is flushed before it completes;
 * otherwise writes are volatile until {@link #flush()}, which makes every completed write durable.
 */
public final class BlockEngine {
    private static final Logger LOG = LoggerFactory.getLogger(BlockEngine.class);

    public static final int SECTOR_SIZE = 512;
    public static final int ID_BYTES = 20;
    /** Through a {@link Sink} or {@link Source}, data moves in chunks of at most this size, whatever the request's size. */
    static final int CHUNK = 128 * 1024;
    /**
     * The chunk buffer of {@link Sink}/{@link Source} requests, one per thread: allocating and zeroing a buffer per
     * request cost more than the request itself on a fast store (issue #9).
     */
    private static final ThreadLocal<ByteBuffer> CHUNK_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocate(CHUNK));

    /**
     * Receives read data one chunk at a time (e.g. copies it into guest buffers). The chunk is this thread's, valid
     * during the call only; a sink must not start another {@code Sink}/{@code Source} request on the same thread.
     */
    @FunctionalInterface
    public interface Sink {
        void accept(ByteBuffer chunk);
    }

    /** Supplies write data one chunk at a time: fills the chunk up to its limit. */
    @FunctionalInterface
    public interface Source {
        void fill(ByteBuffer chunk);
    }

    /**
     * Where a read's data goes when it can take it from the store itself, with no buffer in between: e.g. guest
     * buffers handed to the store's {@link BlockStore#read} in place.
     */
    @FunctionalInterface
    public interface ReadTarget {
        /** Reads exactly {@code bytes} bytes of {@code store} from byte {@code offset} into this target, or throws. */
        void readFrom(BlockStore store, long offset, long bytes) throws IOException;
    }

    /** Where a write's data comes from when it can give it to the store itself (guest buffers, in place). */
    @FunctionalInterface
    public interface WriteSource {
        /** Writes exactly {@code bytes} bytes from this source to {@code store} at byte {@code offset}, or throws. */
        void writeTo(BlockStore store, long offset, long bytes) throws IOException;
    }

    private final BlockStore store;
    /** Changed only by {@link #resize}; a request reads it once, so it is judged against one size. */
    private volatile long capacitySectors;
    private final boolean readOnly;
    private final BlockLimits limits;
    private final byte[] id;
    private volatile boolean writeThrough;

    /**
     * @param capacitySectors the disk size exposed, at most the store's size
     * @param readOnly        refuse every write (also forced when the store is read-only)
     * @param id              the device id string: ASCII, at most 20 characters
     */
    public BlockEngine(BlockStore store, long capacitySectors, boolean readOnly, BlockLimits limits, String id) {
        if (capacitySectors < 0 || capacitySectors > store.size() / SECTOR_SIZE) {
            throw new IllegalArgumentException("capacity of " + capacitySectors + " sectors does not fit a " + store.size() + "-byte store");
        }
        this.store = store;
        this.capacitySectors = capacitySectors;
        this.readOnly = readOnly || store.readOnly();
        this.limits = limits;
        this.id = idBytes(id);
    }

    /** The id as GET_ID returns it: ASCII, NUL-padded to 20 bytes, no terminator at 20 characters [DEV-BLK-069]. */
    static byte[] idBytes(String id) {
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(id) || id.length() > ID_BYTES) {
            throw new IllegalArgumentException("id must be at most " + ID_BYTES + " ASCII characters: " + id);
        }
        return Arrays.copyOf(id.getBytes(StandardCharsets.US_ASCII), ID_BYTES);
    }

    public long capacitySectors() {
        return capacitySectors;
    }

    /**
     * Changes the disk size exposed (at most the store's size). Requests already judged keep their verdict; later ones
     * are judged against the new size. The transport announces the change to the driver.
     */
    public void resize(long sectors) {
        if (sectors < 0 || sectors > store.size() / SECTOR_SIZE) {
            throw new IllegalArgumentException("capacity of " + sectors + " sectors does not fit a " + store.size() + "-byte store");
        }
        capacitySectors = sectors;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public BlockLimits limits() {
        return limits;
    }

    /** The 20-byte id. */
    public byte[] id() {
        return id.clone();
    }

    public boolean writeThrough() {
        return writeThrough;
    }

    /** Writethrough: each write is durable when it completes; writeback: only after a flush. */
    public void setWriteThrough(boolean on) {
        writeThrough = on;
    }

    /** Reads {@code bytes} (a multiple of 512) from {@code sector} into {@code sink}. */
    public BlockStatus read(long sector, long bytes, Sink sink) {
        BlockStatus bad = checkData(sector, bytes);
        if (bad != null) return bad;
        try {
            inChunks(sector * SECTOR_SIZE, bytes, (at, buf) -> {
                store.read(at, buf);
                buf.flip();
                sink.accept(buf);
            });
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("read", sector, e);
        }
    }

    /** Reads {@code bytes} (a multiple of 512) from {@code sector} straight into {@code target}. */
    public BlockStatus readInto(long sector, long bytes, ReadTarget target) {
        BlockStatus bad = checkData(sector, bytes);
        if (bad != null) return bad;
        try {
            target.readFrom(store, sector * SECTOR_SIZE, bytes);
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("read", sector, e);
        }
    }

    /** Convenience: reads {@code dst.remaining()} bytes into {@code dst}, with no copy in between. */
    public BlockStatus read(long sector, ByteBuffer dst) {
        return readInto(sector, dst.remaining(), (s, offset, bytes) -> s.read(offset, dst));
    }

    /** Writes {@code bytes} (a multiple of 512) from {@code source} at {@code sector}. */
    public BlockStatus write(long sector, long bytes, Source source) {
        if (readOnly) return rejected("write on a read-only disk [DEV-BLK-024]", sector, BlockStatus.IOERR);
        BlockStatus bad = checkData(sector, bytes);
        if (bad != null) return bad;
        try {
            inChunks(sector * SECTOR_SIZE, bytes, (at, buf) -> {
                int n = buf.remaining();
                source.fill(buf);
                if (buf.hasRemaining()) throw new IllegalStateException("source gave " + buf.position() + " of " + n + " bytes");
                buf.flip();
                store.write(at, buf);
            });
            if (writeThrough) store.flush();
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("write", sector, e);
        }
    }

    /** Writes {@code bytes} (a multiple of 512) at {@code sector} straight from {@code source}. */
    public BlockStatus writeFrom(long sector, long bytes, WriteSource source) {
        if (readOnly) return rejected("write on a read-only disk [DEV-BLK-024]", sector, BlockStatus.IOERR);
        BlockStatus bad = checkData(sector, bytes);
        if (bad != null) return bad;
        try {
            source.writeTo(store, sector * SECTOR_SIZE, bytes);
            if (writeThrough) store.flush();
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("write", sector, e);
        }
    }

    /** Convenience: writes {@code src.remaining()} bytes from {@code src}, with no copy in between. */
    public BlockStatus write(long sector, ByteBuffer src) {
        return writeFrom(sector, src.remaining(), (s, offset, bytes) -> s.write(offset, src));
    }

    /** Makes every completed write durable [DEV-BLK-035]. */
    public BlockStatus flush() {
        try {
            store.flush();
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("flush", 0, e);
        }
    }

    /** Discards every range, or none when one is invalid. */
    public BlockStatus discard(List<BlockRange> ranges) {
        BlockStatus bad = checkRanges(true, ranges);
        if (bad != null) return bad;
        try {
            for (BlockRange r : ranges) store.discard(r.sector() * SECTOR_SIZE, r.sectors() * SECTOR_SIZE);
            if (writeThrough) store.flush();
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("discard", ranges.get(0).sector(), e);
        }
    }

    /** Zeroes every range, or none when one is invalid; afterwards they read back as zeroes [DEV-BLK-030]. */
    public BlockStatus writeZeroes(List<BlockRange> ranges) {
        BlockStatus bad = checkRanges(false, ranges);
        if (bad != null) return bad;
        try {
            for (BlockRange r : ranges) {
                store.writeZeroes(r.sector() * SECTOR_SIZE, r.sectors() * SECTOR_SIZE, r.unmap() && limits.writeZeroesMayUnmap());
            }
            if (writeThrough) store.flush();
            return BlockStatus.OK;
        } catch (Exception e) {
            return failed("write zeroes", ranges.get(0).sector(), e);
        }
    }

    /** One step of {@link #inChunks}: moves the bytes of {@code chunk} (position 0, limit its length) at byte {@code at}. */
    @FunctionalInterface
    private interface ChunkStep {
        void move(long at, ByteBuffer chunk) throws IOException;
    }

    /**
     * Moves {@code bytes} bytes starting at byte {@code offset} through this thread's buffer of {@link #CHUNK} bytes,
     * whatever the request's size: {@code step} once per chunk, in order, each time on the cleared buffer limited
     * to that chunk's length.
     */
    private static void inChunks(long offset, long bytes, ChunkStep step) throws IOException {
        ByteBuffer buf = CHUNK_BUFFER.get();
        for (long done = 0; done < bytes; ) {
            int n = (int) Math.min(buf.capacity(), bytes - done);
            buf.clear().limit(n);
            step.move(offset + done, buf);
            done += n;
        }
    }

    /** Null when the data request is valid, else its status. */
    private BlockStatus checkData(long sector, long bytes) {
        if (bytes < 0 || bytes % SECTOR_SIZE != 0) {
            return rejected("data length " + bytes + " is not a multiple of 512 [DRV-BLK-017]", sector, BlockStatus.IOERR);
        }
        if (!inRange(sector, bytes / SECTOR_SIZE)) {
            return rejected((bytes / SECTOR_SIZE) + " sectors past the capacity of " + capacitySectors + " [DRV-BLK-013]", sector, BlockStatus.IOERR);
        }
        return null;
    }

    /**
     * Null when every range is valid. Flag rules come first, over all ranges, because virtio 1.4 §5.2.6.2 makes
     * UNSUPP unconditional for them [DEV-BLK-026, DEV-BLK-027], while the segment count is only a driver rule
     * [DRV-BLK-020, DRV-BLK-022]; then the count, the limits and the capacity (IOERR).
     */
    private BlockStatus checkRanges(boolean discard, List<BlockRange> ranges) {
        String what = discard ? "discard" : "write zeroes";
        if (!(discard ? limits.discard() : limits.writeZeroes())) return rejected(what + " not supported", 0, BlockStatus.UNSUPP);
        for (BlockRange r : ranges) {
            BlockStatus flags = flagRule(discard, r);
            if (flags != null) return flags;
        }
        long maxSeg = Integer.toUnsignedLong(discard ? limits.maxDiscardSeg() : limits.maxWriteZeroesSeg());
        if (ranges.size() > maxSeg) {
            return rejected(ranges.size() + " ranges, more than " + maxSeg + (discard ? " [DRV-BLK-020]" : " [DRV-BLK-022]"), 0, BlockStatus.IOERR);
        }
        if (readOnly) return rejected(what + " on a read-only disk [DEV-BLK-024]", 0, BlockStatus.IOERR);
        long maxSectors = Integer.toUnsignedLong(discard ? limits.maxDiscardSectors() : limits.maxWriteZeroesSectors());
        for (BlockRange r : ranges) {
            if (r.sectors() < 0 || r.sectors() > maxSectors) return rejected(what + " of " + r.sectors() + " sectors, more than " + maxSectors, r.sector(), BlockStatus.IOERR);
            if (!inRange(r.sector(), r.sectors())) return rejected(what + " past the capacity [DRV-BLK-013]", r.sector(), BlockStatus.IOERR);
        }
        return null;
    }

    /** UNSUPP when the range sets a reserved flag [DEV-BLK-026] or is a discard with UNMAP [DEV-BLK-027], else null. */
    static BlockStatus flagRule(boolean discard, BlockRange r) {
        String what = discard ? "discard" : "write zeroes";
        if (r.reservedFlags() != 0) return rejected(what + " with reserved flags 0x" + Integer.toHexString(r.reservedFlags()) + " [DEV-BLK-026]", r.sector(), BlockStatus.UNSUPP);
        if (discard && r.unmap()) return rejected("discard with UNMAP [DEV-BLK-027]", r.sector(), BlockStatus.UNSUPP);
        return null;
    }

    /** Whether [sector, sector + sectors) lies inside the disk; sector is an unsigned 64-bit value from the guest. */
    private boolean inRange(long sector, long sectors) {
        long capacity = capacitySectors;
        return sector >= 0 && sector <= capacity && sectors <= capacity - sector;
    }

    private static BlockStatus rejected(String why, long sector, BlockStatus status) {
        LOG.debug("request at sector {} answered {}: {}", Long.toUnsignedString(sector), status, why);
        return status;
    }

    private static BlockStatus failed(String what, long sector, Exception e) {
        LOG.warn("{} at sector {} failed: {}", what, Long.toUnsignedString(sector), e.toString());
        return BlockStatus.IOERR;
    }
}
