package dev.pvkit.backends.blk;

/**
 * Told about every virtio-blk request the device decoded, and the status it answered: what an observer (PVKit's
 * conformance checks, a trace) needs to judge the driver's requests. Set it with
 * {@link VirtioBlkDevice#requestListener(BlkRequestListener)}; unset, it costs nothing. Calls come from the queue
 * worker that served the request (several at once with several queues), after the status byte was written and
 * before the used entry is published. A listener that throws is contained: the request is answered all the same,
 * and the first such failure is logged.
 *
 * <p>A chain with no device-writable byte or too short for the 16-byte header is not a decoded request and is not
 * reported.
 */
public interface BlkRequestListener {

    /**
     * One request, served.
     *
     * @param queue            the virtqueue index
     * @param head             the chain's id (split: head descriptor index; packed: buffer id)
     * @param type             the header's {@code type}, as an unsigned 32-bit value
     * @param sector           the header's {@code sector}, an unsigned 64-bit value
     * @param dataOutBytes     device-readable bytes after the 16-byte header
     * @param dataInBytes      device-writable bytes before the status byte (the status is the chain's last writable byte)
     * @param segments         DISCARD, WRITE_ZEROES and SECURE_ERASE: whole 16-byte segments in the data
     *                         ({@code dataOutBytes / 16}); 0 for other types
     * @param segmentFlagsOred DISCARD and WRITE_ZEROES: the OR of the {@code flags} of every segment the device read
     *                         (bit 0 UNMAP). The device reads no segment when the request's feature was not
     *                         negotiated, and stops at the first segment whose flags it refuses (answering UNSUPP),
     *                         so the OR covers every segment exactly when the answer is not UNSUPP. 0 for other types.
     * @param status           the status byte written: 0 OK, 1 IOERR, 2 UNSUPP
     */
    void requestServed(int queue, int head, long type, long sector, long dataOutBytes, long dataInBytes, long segments,
                       int segmentFlagsOred, int status);

    /**
     * The driver's features were set (SET_FEATURES: QEMU sends it each time a driver starts the device, so once per
     * driver session, before its first request): what the device presents from then on.
     */
    default void featuresNegotiated(BlkDeviceFacts facts) {
    }
}
