package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.device.VirtioDevice;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A test device: every request's readable bytes come back reversed in its writable part (so a test can tell a
 * processed buffer from an untouched one). Configuration space: a read-only 32-bit magic, then a writable 32-bit
 * word.
 */
class EchoDevice implements VirtioDevice {
    static final int MAGIC = 0x50564b54;
    static final int QUEUES = 4;

    final CopyOnWriteArrayList<String> events = new CopyOnWriteArrayList<>();
    volatile DeviceContext context;
    private volatile int writable;

    @Override
    public int deviceId() {
        return 0x3f;
    }

    @Override
    public long features() {
        return VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX)
                | VirtioFeatures.bit(VirtioFeatures.INDIRECT_DESC) | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
    }

    @Override
    public int queueCount() {
        return QUEUES;
    }

    @Override
    public int maxQueueSize() {
        return 256;
    }

    @Override
    public byte[] config() {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(MAGIC).putInt(writable).array();
    }

    @Override
    public boolean writeConfig(int offset, byte[] data) {
        if (offset != 4 || data.length != 4) return false;
        writable = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getInt();
        return true;
    }

    @Override
    public long process(int queue, Chain chain, GuestMemory memory) {
        ChainReader in = chain.reader(memory);
        byte[] data = in.readBytes((int) Math.min(in.remaining(), 1 << 20));
        byte[] reversed = new byte[data.length];
        for (int i = 0; i < data.length; i++) reversed[i] = data[data.length - 1 - i];
        ChainWriter out = chain.writer(memory);
        out.write(reversed, 0, (int) Math.min(reversed.length, out.remaining()));
        return out.written();
    }

    @Override
    public void featuresNegotiated(long features) {
        events.add("features " + Long.toHexString(features));
    }

    @Override
    public void statusChanged(int status) {
        events.add("status " + status);
    }

    @Override
    public void reset() {
        events.add("reset");
    }

    @Override
    public void attach(DeviceContext ctx) {
        context = ctx;
    }

    /**
     * Four bytes written at {@code in} come back reversed at {@code out} through {@code q}: the smallest proof that a
     * ring is served, on the memory it is meant to be served on.
     */
    static void echo(GuestMemory m, FrontendQueue q, long in, long out) {
        m.write(in, new byte[]{1, 2, 3, 4}, 0, 4);
        int id = q.post(List.of(new Segment(in, 4)), List.of(new Segment(out, 4)), false);
        q.publishAndKick();
        assertThat(q.awaitUsed(1, Duration.ofSeconds(10))).containsExactly(new DriverQueue.Used(id, 4));
        byte[] back = new byte[4];
        m.read(out, back, 0, 4);
        assertThat(back).containsExactly(4, 3, 2, 1);
    }
}
