package dev.pvkit.sdk.bench;

import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.ChainReader;
import dev.pvkit.sdk.virtqueue.ChainWriter;
import dev.pvkit.sdk.virtqueue.DeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedDeviceQueue;
import dev.pvkit.sdk.virtqueue.PackedRing;
import dev.pvkit.sdk.virtqueue.QueueConfig;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.SplitDeviceQueue;
import dev.pvkit.sdk.virtqueue.SplitRing;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import dev.pvkit.sdk.virtqueue.driver.PackedDriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Chains per second through a ring, driver side and device side in one thread: the driver posts a batch, the
 * device takes and completes it, the driver reaps it. {@code baselineCopy} moves the same ring bytes per chain
 * (descriptors, available entry, used element) with plain bulk copies inside the same guest memory.
 *
 * <p>{@code touchData}: with {@code false} the device handler touches no payload, so the ratio chain rate /
 * copy rate is what the ring protocol costs over touching its bytes at all. With {@code true} the handler reads
 * the chain's readable bytes and fills its writable ones (a 4 KiB block, plus header and status for 3
 * descriptors) through the chain cursors, and the baseline copies those same payload bytes once per chain as
 * well: the ratio then says what the ring adds to a device that handles its data.
 *
 * <p>JMH runs the two methods in separate forks, so its ratio carries the forks' differences; {@link RingRatio} measures
 * the ratio with both in one JVM.
 *
 * <p>Run: {@code mvn -pl sdk -am -Pbench verify -DskipTests} (results in sdk/target/jmh-result.json). The
 * baseline does not depend on {@code format}; it runs once per format only because JMH crosses all parameters.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {RingBenchmark.HEAP_MIN, RingBenchmark.HEAP_MAX, RingBenchmark.HEAP_PRETOUCH})
public class RingBenchmark {

    /**
     * Each fork's heap (JMH's and {@link RingRatio}'s), touched before the run. Without it half the forks of packed/1
     * ran their chains at a sixth of the others' rate, with 90 % of their time on allocation sites: every new TLAB
     * landed on heap pages the process had never touched, and on this virtual machine a first touch is a page fault
     * that costs microseconds. A device running for hours has long touched its heap; the benchmark measures the ring.
     */
    static final String HEAP_MIN = "-Xms1g";
    static final String HEAP_MAX = "-Xmx1g";
    static final String HEAP_PRETOUCH = "-XX:+AlwaysPreTouch";

    static final int QUEUE_SIZE = 256;
    static final int BATCH = 32;
    static final long BASE = 0x100000;

    @Param({"split", "packed"})
    public String format;

    @Param({"1", "3"})
    public int descriptors;

    @Param({"false", "true"})
    public boolean touchData;

    private OwnedGuestMemory guest;
    private GuestMemory memory;
    private DriverQueue driver;
    private DeviceQueue device;
    private List<Segment> readable;
    private List<Segment> writable;
    private byte[] copyScratch;
    /**
     * The device's own buffer for a request's data, at the start of a page. A heap array would land wherever the
     * fork's allocation put it, and how its start sits against the guest buffers' moved the 4 KiB copies' speed, and
     * with it the copy baseline, by up to 45 % between forks of the same build (18 or 24-27 M copies/s, nothing in
     * between). Both methods copy through this one buffer.
     */
    private ByteBuffer payload;
    /** The driver takes its used entries as a front-end on the request path does: no list, no object per entry. */
    private long reapedLength;
    private final DriverQueue.UsedSink reaped = (id, length) -> reapedLength += length;

    @Setup(Level.Trial)
    public void setUp() {
        guest = OwnedGuestMemory.anonymous(BASE, 16 << 20);
        memory = guest.memory();
        long features = VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        IndirectArea none = IndirectArea.NONE;
        if (format.equals("split")) {
            SplitRing ring = new SplitRing(QUEUE_SIZE, BASE, BASE + 0x10000, BASE + 0x20000);
            driver = new SplitDriverQueue(memory, ring, features, none, 0);
            device = new SplitDeviceQueue(memory, QueueConfig.of(0, QUEUE_SIZE, ring.descriptors(), ring.avail(), ring.used(), features));
        } else {
            long f = features | VirtioFeatures.bit(VirtioFeatures.RING_PACKED);
            PackedRing ring = new PackedRing(QUEUE_SIZE, BASE, BASE + 0x10000, BASE + 0x20000);
            driver = new PackedDriverQueue(memory, ring, f, none, 0, true);
            device = new PackedDeviceQueue(memory, QueueConfig.of(0, QUEUE_SIZE, ring.descriptors(), ring.driverEvent(), ring.deviceEvent(), f));
        }
        long data = BASE + 0x100000;
        // Block-request shape for 3 descriptors: 16-byte header, 4 KiB data, 1-byte status.
        readable = descriptors == 1 ? List.of() : List.of(new Segment(data, 16));
        writable = descriptors == 1 ? List.of(new Segment(data + 64, 4096))
                : List.of(new Segment(data + 64, 4096), new Segment(data + 8192, 1));
        int ringBytesPerChain = 16 * descriptors + 2 + 8;
        copyScratch = new byte[ringBytesPerChain * BATCH];
        payload = ByteBuffer.allocateDirect(2 * 4096 + 4096).alignedSlice(4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        guest.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void chains(Blackhole bh) {
        for (int i = 0; i < BATCH; i++) driver.post(readable, writable, false);
        bh.consume(driver.publish());
        // As the SDK's ring processor serves a turn: no available-buffer notifications while it takes chains, then
        // asks for them again (event, fence, and a last look at the ring) before it would wait for a kick.
        device.disableNotifications();
        Chain c;
        while ((c = device.poll()) != null) device.complete(c, touchData ? handle(c) : c.writableBytes());
        bh.consume(device.enableNotifications());
        bh.consume(device.publish());
        bh.consume(driver.reap(reaped));
        bh.consume(reapedLength);
    }

    /** What a device does with a request's data: read every readable byte, fill every writable one. */
    private long handle(Chain c) {
        ChainReader in = c.reader(memory);
        payload.clear().limit((int) in.remaining());
        in.read(payload);
        ChainWriter out = c.writer(memory);
        payload.clear().limit((int) out.remaining());
        out.write(payload);
        return out.written();
    }

    /**
     * The same ring bytes per chain, read out of guest memory and written back elsewhere, as bulk copies; with
     * {@code touchData} also each chain's payload, read from its readable and written to its writable buffers.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void baselineCopy(Blackhole bh) {
        memory.read(BASE, copyScratch, 0, copyScratch.length);
        memory.write(BASE + 0x80000, copyScratch, 0, copyScratch.length);
        if (touchData) {
            for (int i = 0; i < BATCH; i++) {
                for (Segment s : readable) memory.read(s.address(), payload.clear().limit(s.length()));
                for (Segment s : writable) memory.write(s.address(), payload.clear().limit(s.length()));
            }
        }
        bh.consume(copyScratch);
        bh.consume(payload);
    }
}
