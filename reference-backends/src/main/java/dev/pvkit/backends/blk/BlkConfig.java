package dev.pvkit.backends.blk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static dev.pvkit.backends.blk.VirtioBlk.*;

/** Encodes the 96-byte {@code blk_config} space (spec 11.3). Padding, geometry, secure-erase and zoned fields stay 0. */
final class BlkConfig {
    private BlkConfig() {
    }

    static byte[] encode(BlkOptions o, long capacitySectors, int writeback) {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(CFG_CAPACITY, capacitySectors);
        b.putInt(CFG_SIZE_MAX, o.sizeMax());
        b.putInt(CFG_SEG_MAX, o.segMax());
        b.putInt(CFG_BLK_SIZE, o.blkSize());
        b.put(CFG_PHYSICAL_BLOCK_EXP, (byte) o.topology().physicalBlockExp());
        b.put(CFG_ALIGNMENT_OFFSET, (byte) o.topology().alignmentOffset());
        b.putShort(CFG_MIN_IO_SIZE, (short) o.topology().minIoSize());
        b.putInt(CFG_OPT_IO_SIZE, o.topology().optIoSize());
        b.put(CFG_WRITEBACK, (byte) writeback);
        b.putShort(CFG_NUM_QUEUES, (short) o.queues());
        BlockLimits l = o.limits();
        if (l.discard()) {
            b.putInt(CFG_MAX_DISCARD_SECTORS, l.maxDiscardSectors());
            b.putInt(CFG_MAX_DISCARD_SEG, l.maxDiscardSeg());
            b.putInt(CFG_DISCARD_SECTOR_ALIGNMENT, l.discardSectorAlignment());
        }
        if (l.writeZeroes()) {
            b.putInt(CFG_MAX_WRITE_ZEROES_SECTORS, l.maxWriteZeroesSectors());
            b.putInt(CFG_MAX_WRITE_ZEROES_SEG, l.maxWriteZeroesSeg());
            b.put(CFG_WRITE_ZEROES_MAY_UNMAP, (byte) (l.writeZeroesMayUnmap() ? 1 : 0));
        }
        return b.array();
    }
}
