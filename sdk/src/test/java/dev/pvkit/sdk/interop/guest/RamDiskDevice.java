package dev.pvkit.sdk.interop.guest;

import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A test-only virtio-blk device (spec section 11) backed by a byte array: one request queue, IN / OUT / FLUSH /
 * GET_ID, everything else answered UNSUPP. Each request is a 16-byte header in the readable part, then data, and
 * one status byte as the last writable byte.
 */
final class RamDiskDevice implements VirtioDevice {
    static final int SECTOR = 512;
    static final int SEG_MAX = 126;

    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;

    static final int S_OK = 0;
    static final int S_IOERR = 1;
    static final int S_UNSUPP = 2;

    static final int F_SEG_MAX = 2;
    static final int F_BLK_SIZE = 6;
    static final int F_FLUSH = 9;

    private static final int CONFIG_SIZE = 96;
    private static final int ID_SIZE = 20;

    private final byte[] disk;
    private final byte[] id;
    final AtomicLong reads = new AtomicLong();
    final AtomicLong writes = new AtomicLong();
    final AtomicLong flushes = new AtomicLong();
    volatile long negotiated;

    RamDiskDevice(int sizeBytes, String serial) {
        if (sizeBytes <= 0 || sizeBytes % SECTOR != 0) throw new IllegalArgumentException("size must be whole sectors");
        this.disk = new byte[sizeBytes];
        this.id = Arrays.copyOf(serial.getBytes(StandardCharsets.US_ASCII), ID_SIZE);
    }

    long capacitySectors() {
        return disk.length / SECTOR;
    }

    /** Copies bytes into the disk (before the guest starts, to plant a pattern). */
    synchronized void load(long offset, byte[] data) {
        System.arraycopy(data, 0, disk, Math.toIntExact(offset), data.length);
    }

    /** A copy of the disk's bytes at {@code offset}. */
    synchronized byte[] read(long offset, int length) {
        return Arrays.copyOfRange(disk, Math.toIntExact(offset), Math.toIntExact(offset + length));
    }

    @Override
    public int deviceId() {
        return 2;
    }

    @Override
    public long features() {
        return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(F_FLUSH)
                | VirtioFeatures.bit(F_SEG_MAX) | VirtioFeatures.bit(F_BLK_SIZE);
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int maxQueueSize() {
        return 256;
    }

    @Override
    public byte[] config() {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, capacitySectors());
        b.putInt(12, SEG_MAX);
        b.putInt(20, SECTOR);
        return b.array();
    }

    @Override
    public void featuresNegotiated(long features) {
        negotiated = features;
    }

    @Override
    public long process(int queue, Chain chain, GuestMemory memory) {
        if (chain.writableBytes() < 1) throw new IllegalStateException("request without a status byte: " + chain);
        ChainWriter out = chain.writer(memory);
        long dataIn = chain.writableBytes() - 1; // device-writable data bytes before the status byte
        if (chain.readableBytes() < 16) return finish(out, dataIn, S_IOERR);
        ChainReader in = chain.reader(memory);
        ByteBuffer header = ByteBuffer.wrap(in.readBytes(16)).order(ByteOrder.LITTLE_ENDIAN);
        int type = header.getInt(0);
        long sector = header.getLong(8);
        return switch (type) {
            case T_IN -> {
                if (dataIn % SECTOR != 0 || !inRange(sector, dataIn)) yield finish(out, dataIn, S_IOERR);
                synchronized (this) {
                    out.write(disk, (int) (sector * SECTOR), (int) dataIn);
                }
                reads.incrementAndGet();
                yield finish(out, 0, S_OK);
            }
            case T_OUT -> {
                long len = in.remaining();
                if (len % SECTOR != 0 || !inRange(sector, len)) yield finish(out, dataIn, S_IOERR);
                synchronized (this) {
                    in.read(disk, (int) (sector * SECTOR), (int) len);
                }
                writes.incrementAndGet();
                yield finish(out, dataIn, S_OK);
            }
            case T_FLUSH -> {
                flushes.incrementAndGet();
                yield finish(out, dataIn, S_OK);
            }
            case T_GET_ID -> {
                int n = (int) Math.min(ID_SIZE, dataIn);
                out.write(id, 0, n);
                yield finish(out, dataIn - n, S_OK);
            }
            default -> finish(out, dataIn, S_UNSUPP);
        };
    }

    private boolean inRange(long sector, long bytes) {
        long cap = capacitySectors();
        return sector >= 0 && sector <= cap && bytes <= (cap - sector) * SECTOR;
    }

    /** Skips {@code pad} writable bytes (zero-filled) and writes {@code status} as the last writable byte. */
    private static long finish(ChainWriter out, long pad, int status) {
        byte[] zeros = new byte[(int) Math.min(pad, 4096)];
        for (long left = pad; left > 0; ) {
            int n = (int) Math.min(left, zeros.length);
            out.write(zeros, 0, n);
            left -= n;
        }
        out.writeByte(status);
        return out.written();
    }
}
