package dev.pvkit.backends.blk;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BlkOptionsTest {

    @Test
    void queuesForAHostFollowItsCpusWithinBounds() {
        assertThat(BlkOptions.queuesFor(1)).as("a small host still fits a guest with a few vCPUs").isEqualTo(8);
        assertThat(BlkOptions.queuesFor(8)).isEqualTo(8);
        assertThat(BlkOptions.queuesFor(24)).isEqualTo(24);
        assertThat(BlkOptions.queuesFor(512)).as("capped").isEqualTo(64);
        assertThat(BlkOptions.queuesForThisHost()).isBetween(BlkOptions.MIN_HOST_QUEUES, BlkOptions.MAX_HOST_QUEUES);
    }

    @Test
    void theLibraryDefaultStaysOneQueueAndOffersNoMq() {
        BlkOptions d = BlkOptions.defaults(1 << 20);
        assertThat(d.queues()).isEqualTo(1);
        VirtioBlkDevice many = new VirtioBlkDevice(new MemoryBlockStore(1 << 20), d.withQueues(BlkOptions.queuesForThisHost()));
        assertThat(dev.pvkit.sdk.virtio.VirtioFeatures.has(many.features(), VirtioBlk.F_MQ)).isTrue();
        assertThat(many.queueCount()).isEqualTo(BlkOptions.queuesForThisHost());
    }
}
