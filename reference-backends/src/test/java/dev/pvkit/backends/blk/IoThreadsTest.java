package dev.pvkit.backends.blk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link VirtioBlkDevice#useIoThreads}: requests are served on the device's I/O threads, completed through the
 * asynchronous device API, with the same data and statuses as on the queue's worker.
 */
class IoThreadsTest {
    static final long DISK = 4 << 20;

    @TempDir
    Path dir;

    @Test
    void thirtyTwoWritesThenReadsInFlightAtOnceCarryTheirDataAndRunOnTheIoThreads() throws Exception {
        Set<String> servedOn = ConcurrentHashMap.newKeySet();
        try (FileBlockStore file = FileBlockStore.create(dir.resolve("disk.img"), DISK)) {
            BlockStore watched = new ForwardingBlockStore(file) {
                @Override
                public void write(long offset, ByteBuffer src) throws java.io.IOException {
                    servedOn.add(Thread.currentThread().getName());
                    super.write(offset, src);
                }
            };
            VirtioBlkDevice device = new VirtioBlkDevice(watched, BlkOptions.defaults(DISK)).useIoThreads(4);
            try (BlkDriver blk = BlkDriver.start(device, BlkDriver.features(false))) {
                Random random = new Random(7);
                List<byte[]> data = new ArrayList<>();
                List<BlkDriver.Req> writes = new ArrayList<>();
                for (int i = 0; i < 32; i++) {
                    byte[] d = new byte[4096];
                    random.nextBytes(d);
                    data.add(d);
                    writes.add(BlkDriver.Req.out(i * 8L, d));
                }
                assertThat(blk.submit(0, writes)).allSatisfy(done -> assertThat(done.status()).isEqualTo(BlockStatus.OK.code()));

                List<BlkDriver.Req> reads = new ArrayList<>();
                for (int i = 0; i < 32; i++) reads.add(BlkDriver.Req.in(i * 8L, 4096));
                List<BlkDriver.Done> back = blk.submit(0, reads);
                for (int i = 0; i < 32; i++) {
                    assertThat(back.get(i).status()).isEqualTo(BlockStatus.OK.code());
                    assertThat(back.get(i).data()).as("block %d", i).isEqualTo(data.get(i));
                }
            }
        }
        assertThat(servedOn).isNotEmpty().allSatisfy(t -> assertThat(t).startsWith("pvkit-blk-io-"));
    }

    @Test
    void ioThreadsAreRefusedOutsideTheirRange() {
        VirtioBlkDevice device = new VirtioBlkDevice(new MemoryBlockStore(DISK));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> device.useIoThreads(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..256");
    }
}
