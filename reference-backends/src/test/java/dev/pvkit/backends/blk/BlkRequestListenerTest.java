package dev.pvkit.backends.blk;

import dev.pvkit.backends.blk.BlkDriver.Req;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.pvkit.backends.blk.VirtioBlk.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The request listener: what it is told for each request type, and that a failing one never breaks a request. */
class BlkRequestListenerTest {
    static final long DISK = 1 << 20;

    record Served(int queue, long type, long sector, long out, long in, long segments, int flags, int status) {
    }

    BlkDriver blk;
    final List<Served> served = new CopyOnWriteArrayList<>();
    final List<BlkDeviceFacts> facts = new CopyOnWriteArrayList<>();

    final BlkRequestListener recorder = new BlkRequestListener() {
        @Override
        public void requestServed(int queue, int head, long type, long sector, long dataOutBytes, long dataInBytes,
                                  long segments, int segmentFlagsOred, int status) {
            served.add(new Served(queue, type, sector, dataOutBytes, dataInBytes, segments, segmentFlagsOred, status));
        }

        @Override
        public void featuresNegotiated(BlkDeviceFacts f) {
            facts.add(f);
        }
    };

    @AfterEach
    void stop() {
        if (blk != null) blk.close();
    }

    @Test
    void everyDecodedRequestIsReportedWithItsLengthsSegmentsAndStatus() {
        VirtioBlkDevice device = new VirtioBlkDevice(new MemoryBlockStore(DISK), BlkOptions.defaults(DISK)).requestListener(recorder);
        blk = BlkDriver.start(device, BlkDriver.features(false));
        blk.submit(0, Req.in(8, 1024));
        blk.submit(0, Req.out(2, new byte[512]));
        blk.submit(0, Req.flush());
        blk.submit(0, Req.getId());
        blk.submit(0, Req.ranges(T_DISCARD, new BlockRange(0, 8, 0), new BlockRange(16, 8, BlockRange.UNMAP)));
        blk.submit(0, Req.ranges(T_WRITE_ZEROES, new BlockRange(0, 8, BlockRange.UNMAP)));
        blk.submit(0, Req.in(DISK / 512, 512));

        assertThat(facts).singleElement().satisfies(f -> {
            assertThat(f.capacitySectors()).isEqualTo(DISK / 512);
            assertThat(f.readOnly()).isFalse();
            assertThat(f.maxDiscardSeg()).isEqualTo(32);
            assertThat(f.maxWriteZeroesSeg()).isEqualTo(32);
        });
        assertThat(served).containsExactly(
                new Served(0, T_IN, 8, 0, 1024, 0, 0, 0),
                new Served(0, T_OUT, 2, 512, 0, 0, 0, 0),
                new Served(0, T_FLUSH, 0, 0, 0, 0, 0, 0),
                new Served(0, T_GET_ID, 0, 0, 20, 0, 0, 0),
                new Served(0, T_DISCARD, 0, 32, 0, 2, BlockRange.UNMAP, 2),
                new Served(0, T_WRITE_ZEROES, 0, 16, 0, 1, BlockRange.UNMAP, 0),
                new Served(0, T_IN, DISK / 512, 0, 512, 0, 0, 1));
    }

    @Test
    void aThrowingListenerNeverChangesTheAnswer() {
        VirtioBlkDevice device = new VirtioBlkDevice(new MemoryBlockStore(DISK), BlkOptions.defaults(DISK))
                .requestListener(new BlkRequestListener() {
                    @Override
                    public void requestServed(int q, int h, long t, long s, long o, long i, long n, int f, int st) {
                        throw new IllegalStateException("listener bug");
                    }

                    @Override
                    public void featuresNegotiated(BlkDeviceFacts f) {
                        throw new IllegalStateException("listener bug");
                    }
                });
        blk = BlkDriver.start(device, BlkDriver.features(false));
        byte[] data = new byte[1024];
        data[5] = 42;
        assertThat(blk.submit(0, Req.out(4, data)).status()).isZero();
        BlkDriver.Done read = blk.submit(0, Req.in(4, 1024));
        assertThat(read.status()).isZero();
        assertThat(read.data()).isEqualTo(data);
    }
}
