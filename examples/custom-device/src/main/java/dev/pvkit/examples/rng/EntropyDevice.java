package dev.pvkit.examples.rng;

import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.device.WritableBuffers;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Random;

/**
 * An entropy device (virtio-rng, virtio 1.x section 5.4): one request queue; the driver posts device-writable
 * buffers and the device fills them with random bytes. Serve it with {@code VhostUserBackend.serve(new
 * EntropyDevice(), socket)}.
 */
public final class EntropyDevice implements VirtioDevice {
    private static final Logger LOG = LoggerFactory.getLogger(EntropyDevice.class);
    /** The most one request gets: a driver that posts a huge buffer gets this much (the used length says so). */
    static final int MAX_BYTES_PER_REQUEST = 64 * 1024;
    private final Random random;

    public EntropyDevice() {
        this(new SecureRandom());
    }

    /** A device that draws from {@code random} (a seeded one in tests). */
    public EntropyDevice(Random random) {
        this.random = random;
    }

    @Override public int deviceId() { return 4; }              // entropy source
    @Override public int queueCount() { return 1; }            // requestq
    @Override public int maxQueueSize() { return 256; }
    @Override public byte[] config() { return new byte[0]; }   // virtio-rng has no configuration space

    @Override
    public long features() {                                  // no device feature bits: ring features only
        return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
    }

    @Override
    public void submit(Request request) {
        if (request.chain().readableBytes() > 0) {            // virtio 1.x 5.4.6.1: only device-writable buffers
            LOG.warn("queue {}: request {} has {} device-readable bytes, which a virtio-rng driver must not post; "
                    + "they are ignored", request.queue(), request.chain().id(), request.chain().readableBytes());
        }
        WritableBuffers out = request.writable();
        byte[] bytes = new byte[(int) Math.min(out.length(), MAX_BYTES_PER_REQUEST)];
        random.nextBytes(bytes);
        out.write(0, bytes, 0, bytes.length);
        request.complete(bytes.length);                        // 5.4.6.2: the device MAY fill less than all
    }
}
