package dev.pvkit.backends.blk;

/**
 * What a {@link VirtioBlkDevice} presents to the driver that just negotiated: the facts a judge of its requests
 * needs. Limits are 0 when their feature is not offered.
 *
 * @param offeredFeatures    the device's feature bits
 * @param negotiatedFeatures what the driver acknowledged
 * @param capacitySectors    {@code capacity}, in 512-byte sectors
 * @param readOnly           VIRTIO_BLK_F_RO offered
 * @param maxDiscardSeg      {@code max_discard_seg}
 * @param maxWriteZeroesSeg  {@code max_write_zeroes_seg}
 */
public record BlkDeviceFacts(long offeredFeatures, long negotiatedFeatures, long capacitySectors, boolean readOnly,
                             long maxDiscardSeg, long maxWriteZeroesSeg) {
}
