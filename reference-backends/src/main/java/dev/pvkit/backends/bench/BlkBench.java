package dev.pvkit.backends.bench;

import dev.pvkit.sdk.frontend.FrontendQueue;
import dev.pvkit.sdk.frontend.VirtioFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.vhostuser.ProtocolFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.IndirectArea;
import org.HdrHistogram.Histogram;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Drives any vhost-user-blk back-end with PVKit's Java front-end: 4 KiB random reads or writes at a fixed queue
 * depth for a fixed time, measuring IOPS and per-request latency (submit to reap). The same code measures PVKit's
 * back-end and qemu-storage-daemon, so their figures compare in one run.
 */
public final class BlkBench {

    public enum Workload { RANDREAD, RANDWRITE }

    /**
     * One measured run. Latencies in microseconds. {@code allocatedBytesPerRequest}: heap bytes the back-end's threads
     * allocated per request, when the back-end runs in this JVM and the JVM counts it; NaN otherwise.
     */
    public record Result(String target, Workload workload, int queueDepth, long requests, double seconds, double iops,
                         double p50Micros, double p99Micros, double allocatedBytesPerRequest, int queues) {
        Result withAllocation(double bytesPerRequest) {
            return new Result(target, workload, queueDepth, requests, seconds, iops, p50Micros, p99Micros, bytesPerRequest, queues);
        }
    }

    /** What one front-end thread measured on its queue, before it is merged with the others'. */
    record QueueRun(long requests, double seconds, Histogram latencies) {
    }

    static final int BLOCK = 4096;
    static final int SECTOR = 512;
    static final long GUEST_BASE = 0x100000;
    static final long RINGS = GUEST_BASE;
    static final long BUFFERS = GUEST_BASE + 0x100000;
    static final int T_IN = 0;
    static final int T_OUT = 1;
    /** Latencies are recorded to 3 significant digits up to a minute; a slower request counts as a minute. */
    static final long MAX_LATENCY_NANOS = 60_000_000_000L;
    static final long SLOT_BYTES = 0x2000;
    /** Descriptor ids are below the ring size (128). */
    static final int MAX_IDS = 128;

    private BlkBench() {
    }

    /** Runs {@code workload} at {@code queueDepth} for {@code duration} against the back-end listening on {@code socket}. */
    public static Result run(String target, Path socket, Workload workload, int queueDepth, Duration duration) {
        return run(target, socket, workload, queueDepth, duration, false);
    }

    /**
     * As {@link #run(String, Path, Workload, int, Duration)}; with {@code backendInThisJvm} the result also says how
     * many heap bytes the back-end allocated per request: everything the JVM's other threads allocated while the
     * requests ran (the front-end's thread is not counted). One queue of {@link #runQueues}.
     */
    public static Result run(String target, Path socket, Workload workload, int queueDepth, Duration duration,
                             boolean backendInThisJvm) {
        return runQueues(target, socket, workload, queueDepth, 1, duration, backendInThisJvm);
    }

    /** The ring the benchmark drives: a {@link FrontendQueue}, or a stand-in in tests. */
    interface Ring {
        /** Posts one request (direct descriptors) and returns its id. */
        int post(List<Segment> readable, List<Segment> writable);

        void publishAndKick();

        /** At least {@code count} completions to {@code sink}, in whatever order the back-end completed them. */
        int awaitUsed(int count, Duration timeout, DriverQueue.UsedSink sink);

        static Ring of(FrontendQueue q) {
            return new Ring() {
                @Override
                public int post(List<Segment> readable, List<Segment> writable) {
                    return q.post(readable, writable, false);
                }

                @Override
                public void publishAndKick() {
                    q.publishAndKick();
                }

                @Override
                public int awaitUsed(int count, Duration timeout, DriverQueue.UsedSink sink) {
                    return q.awaitUsed(count, timeout, sink);
                }
            };
        }
    }

    /**
     * Guest address of buffer slot {@code slot} of the queue whose buffers start at {@code buffers}: header at +0,
     * status at +16, 4 KiB of data at +0x1000.
     */
    static long slotBase(long buffers, int slot) {
        return buffers + (long) slot * SLOT_BYTES;
    }

    /** Where queue {@code q}'s buffer slots start: each queue has room for 128 slots of its own. */
    static long buffersOf(int q) {
        return BUFFERS + (long) q * MAX_IDS * SLOT_BYTES;
    }

    /** Where queue {@code q}'s ring lies. */
    static long ringOf(int q) {
        return RINGS + 0x10000L * q;
    }

    /**
     * Runs {@code workload} on {@code queues} queues at once, each at {@code queueDepth} and driven by a front-end
     * thread of its own, against the back-end listening on {@code socket}: one result, its IOPS the sum over the
     * queues and its percentiles over every request. {@code backendInThisJvm}: as in {@link #run}; the front-end
     * threads are left out of the count.
     */
    public static Result runQueues(String target, Path socket, Workload workload, int queueDepth, int queues,
                                   Duration duration, boolean backendInThisJvm) {
        if (queues < 1 || queues > 4) throw new IllegalArgumentException("queues must be 1..4");
        if (queueDepth < 1 || queueDepth > 128) throw new IllegalArgumentException("queue depth must be 1..128");
        long wanted = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        long protocol = ProtocolFeatures.bits(ProtocolFeatures.MQ, ProtocolFeatures.REPLY_ACK, ProtocolFeatures.CONFIG);
        try (OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 16 << 20)));
             VirtioFrontend fe = VirtioFrontend.start(socket, guest, wanted, protocol)) {
            long sectors = ByteBuffer.wrap(fe.vhost().getConfig(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            long blocks = sectors * SECTOR / BLOCK;
            if (blocks < 1) throw new IllegalStateException(target + ": disk smaller than one 4 KiB block");
            List<FrontendQueue> qs = new ArrayList<>();
            for (int i = 0; i < queues; i++) qs.add(fe.addQueue(i, 128, ringOf(i), IndirectArea.NONE));
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(queues);
            try {
                java.util.Set<Long> frontEnd = java.util.concurrent.ConcurrentHashMap.newKeySet();
                frontEnd.add(Thread.currentThread().getId());
                java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(queues);
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<QueueRun>> runs = new ArrayList<>();
                for (int i = 0; i < queues; i++) {
                    int q = i;
                    runs.add(threads.submit(() -> {
                        frontEnd.add(Thread.currentThread().getId());
                        ready.countDown();
                        go.await();
                        return driveQueue(target, Ring.of(qs.get(q)), fe.memory(), buffersOf(q), workload, queueDepth,
                                blocks, duration, 42 + q);
                    }));
                }
                ready.await();
                OtherThreadsAllocation allocation = backendInThisJvm && OtherThreadsAllocation.supported()
                        ? OtherThreadsAllocation.start(frontEnd) : null;
                go.countDown();
                Histogram all = new Histogram(MAX_LATENCY_NANOS, 3);
                long requests = 0;
                double seconds = 0;
                for (java.util.concurrent.Future<QueueRun> f : runs) {
                    QueueRun r = f.get();
                    all.add(r.latencies());
                    requests += r.requests();
                    seconds = Math.max(seconds, r.seconds());
                }
                Result r = new Result(target, workload, queueDepth, requests, seconds, requests / seconds,
                        percentileMicros(all, 50), percentileMicros(all, 99), Double.NaN, queues);
                return allocation == null || requests == 0 ? r : r.withAllocation((double) allocation.bytes() / requests);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(target + ": interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(target + ": a front-end thread failed: " + e.getCause(), e.getCause());
            } finally {
                threads.shutdownNow();
            }
        }
    }

    /**
     * The measuring loop. Each request in flight owns one buffer slot (header, data, status) until it completes; a
     * back-end may complete in any order (qemu-storage-daemon does), so a new request takes the slot of one that
     * has completed — a free list — never the next slot round-robin, which could still be in flight.
     */
    static Result drive(String target, Ring q, GuestMemory m, Workload workload, int queueDepth, long blocks,
                        Duration duration) {
        QueueRun r = driveQueue(target, q, m, BUFFERS, workload, queueDepth, blocks, duration, 42);
        return new Result(target, workload, queueDepth, r.requests(), r.seconds(), r.requests() / r.seconds(),
                percentileMicros(r.latencies(), 50), percentileMicros(r.latencies(), 99), Double.NaN, 1);
    }

    /** The measuring loop of one queue, its buffer slots from {@code buffers} on. */
    static QueueRun driveQueue(String target, Ring q, GuestMemory m, long buffers, Workload workload, int queueDepth,
                               long blocks, Duration duration, long seed) {
        return new QueueDriver(target, q, m, buffers, workload, queueDepth).run(blocks, duration, seed);
    }

    /**
     * One queue's driver state. Each request in flight owns a buffer slot until it completes. Nothing is allocated
     * per request (the scatter lists are made once per slot, completions arrive through a sink, the free slots are a
     * stack of ints): the front-end shares the JVM and its CPUs with PVKit's back-end, so garbage it made per request
     * would weigh on the back-end's figures and not on qemu-storage-daemon's.
     */
    private static final class QueueDriver implements DriverQueue.UsedSink {
        final String target;
        final Ring q;
        final GuestMemory m;
        final long buffers;
        final Workload workload;
        final int queueDepth;
        final long[] submitted = new long[MAX_IDS];
        final int[] slotOf = new int[MAX_IDS];
        final int[] free;
        int freeCount;
        final List<List<Segment>> readableOf = new ArrayList<>();
        final List<List<Segment>> writableOf = new ArrayList<>();
        // Every latency counts (a sample array would have to stop somewhere), in fixed memory.
        final Histogram latencies = new Histogram(MAX_LATENCY_NANOS, 3);
        long done;

        QueueDriver(String target, Ring q, GuestMemory m, long buffers, Workload workload, int queueDepth) {
            this.target = target;
            this.q = q;
            this.m = m;
            this.buffers = buffers;
            this.workload = workload;
            this.queueDepth = queueDepth;
            Arrays.fill(slotOf, -1);
            free = new int[queueDepth];
            for (int s = 0; s < queueDepth; s++) {
                Segment header = new Segment(slotBase(buffers, s), 16);
                Segment data = new Segment(slotBase(buffers, s) + 0x1000, BLOCK);
                Segment status = new Segment(slotBase(buffers, s) + 16, 1);
                readableOf.add(workload == Workload.RANDREAD ? List.of(header) : List.of(header, data));
                writableOf.add(workload == Workload.RANDREAD ? List.of(data, status) : List.of(status));
                free[freeCount++] = queueDepth - 1 - s;
            }
        }

        QueueRun run(long blocks, Duration duration, long seed) {
            SplittableRandom random = new SplittableRandom(seed);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            while (true) {
                boolean submitting = System.nanoTime() < end;
                while (submitting && freeCount > 0) {
                    int slot = free[--freeCount];
                    long base = slotBase(buffers, slot);
                    long sector = random.nextLong(blocks) * (BLOCK / SECTOR);
                    m.writeLe32(base, workload == Workload.RANDREAD ? T_IN : T_OUT);
                    m.writeLe32(base + 4, 0);
                    m.writeLe64(base + 8, sector);
                    m.writeU8(base + 16, (byte) 0xff); // no status yet
                    int id = q.post(readableOf.get(slot), writableOf.get(slot));
                    if (slotOf[id] >= 0) throw new IllegalStateException(target + ": descriptor id " + id + " posted twice");
                    slotOf[id] = slot;
                    submitted[id] = System.nanoTime();
                }
                q.publishAndKick();
                if (freeCount == queueDepth) break; // nothing in flight and no more to submit
                q.awaitUsed(1, Duration.ofSeconds(30), this);
            }
            return new QueueRun(done, (System.nanoTime() - start) / 1e9, latencies);
        }

        @Override
        public void used(int id, long length) {
            int slot = id >= 0 && id < MAX_IDS ? slotOf[id] : -1;
            if (slot < 0) throw new IllegalStateException(target + ": completion of id " + id + ", not in flight");
            latencies.recordValue(Math.min(System.nanoTime() - submitted[id], MAX_LATENCY_NANOS));
            byte st = m.readU8(slotBase(buffers, slot) + 16);
            if (st != 0) throw new IllegalStateException(target + ": request failed with status " + (st & 0xff));
            slotOf[id] = -1;
            free[freeCount++] = slot;
            done++;
        }
    }

    private static double percentileMicros(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1e3;
    }
}
