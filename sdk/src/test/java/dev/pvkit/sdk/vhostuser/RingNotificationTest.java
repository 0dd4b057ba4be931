package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a worker tells the driver about notifications: none needed while it serves the ring (the driver posts into a
 * busy ring without a kick and is still served), and needed again once the ring is idle (a worker never sleeps on a
 * ring whose driver was told not to kick). With and without EVENT_IDX, whose suppression works differently.
 */
class RingNotificationTest {
    static final long GUEST_BASE = 0x100000;

    @TempDir
    Path dir;

    /** Echoes, but holds the first request until the test lets it go. */
    static class HoldFirst extends EchoDevice {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private boolean first = true;

        @Override
        public long process(int queue, Chain chain, GuestMemory memory) {
            if (first) {
                first = false;
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.process(queue, chain, memory);
        }
    }

    @ParameterizedTest(name = "EVENT_IDX {0}")
    @ValueSource(booleans = {false, true})
    void aBusyRingNeedsNoKickAndAnIdleOneAsksForOneAgain(boolean eventIdx) throws Exception {
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | (eventIdx ? VirtioFeatures.bit(VirtioFeatures.EVENT_IDX) : 0);
        HoldFirst device = new HoldFirst();
        try (Served served = new Served(device, dir.resolve("notify.sock"), VhostUserBackend.Options.defaults(), 16, features)) {
            SplitDriverQueue driver = served.driver;
            EventFd kick = served.kick;
            long data = GUEST_BASE + 0x100000;

            post(driver, data);
            assertThat(driver.publish()).as("an idle ring asks to be kicked").isTrue();
            kick.signal();
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();

            // The worker is inside the device with the ring: it told the driver not to kick, and takes the next
            // request when the first is done, without one.
            post(driver, data + 0x100);
            assertThat(driver.publish()).as("a ring being served asks for no kick").isFalse();
            device.release.countDown();
            List<DriverQueue.Used> done = awaitUsed(driver, 2);
            assertThat(done).extracting(DriverQueue.Used::length).containsExactly(8L, 8L);

            // Long idle now (well past any poll window): the ring asks for a kick again, and the kick is answered.
            Thread.sleep(50);
            post(driver, data + 0x200);
            assertThat(driver.publish()).as("a rested ring asks to be kicked again").isTrue();
            kick.signal();
            assertThat(awaitUsed(driver, 1)).hasSize(1);
        }
    }

    /** {@link HoldFirst} that says its submit never blocks: the SDK may publish its completions in batches. */
    static final class HoldFirstNonBlocking extends HoldFirst {
        @Override
        public boolean submitsWithoutBlocking() {
            return true;
        }
    }

    /**
     * One batch of 21 requests (the first held while 20 more are posted): a device whose submit never blocks has them
     * published after every 8th and when the ring runs empty; any other device has each published before the next
     * is served, so none waits behind a slow one.
     */
    @ParameterizedTest(name = "submits without blocking {0}")
    @ValueSource(booleans = {false, true})
    void completionsArePublishedInSharesOnlyForADeviceThatNeverBlocks(boolean nonBlocking) throws Exception {
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1) | VirtioFeatures.bit(VirtioFeatures.EVENT_IDX);
        HoldFirst device = nonBlocking ? new HoldFirstNonBlocking() : new HoldFirst();
        List<Integer> published = java.util.Collections.synchronizedList(new ArrayList<>());
        dev.pvkit.sdk.virtqueue.QueueObserver publishes = new dev.pvkit.sdk.virtqueue.QueueObserver() {
            @Override
            public void usedPublished(int queue, int usedIndex) {
                published.add(usedIndex);
            }
        };
        dev.pvkit.sdk.observe.BackendObserver observer = new dev.pvkit.sdk.observe.BackendObserver() {
            @Override
            public dev.pvkit.sdk.virtqueue.QueueObserver queueObserver(int queue) {
                return publishes;
            }
        };
        try (Served served = new Served(device, dir.resolve("batch.sock"), VhostUserBackend.Options.defaults().withObserver(observer),
                64, features)) {
            SplitDriverQueue driver = served.driver;
            long data = GUEST_BASE + 0x100000;
            post(driver, data);
            driver.publish();
            served.kick.signal();
            assertThat(device.entered.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i <= 20; i++) post(driver, data + 0x100L * i);
            driver.publish();
            device.release.countDown();
            assertThat(awaitUsed(driver, 21)).hasSize(21);
        }
        List<Integer> expected = nonBlocking ? List.of(8, 16, 21)
                : java.util.stream.IntStream.rangeClosed(1, 21).boxed().toList();
        assertThat(published).containsExactlyElementsOf(expected);
    }

    /** {@code device} served on {@code socket}, and one split ring of {@code size} that a driver runs against it. */
    private static final class Served implements AutoCloseable {
        final VhostUserBackend backend;
        final OwnedGuestMemory guest;
        final VhostUserFrontend frontend;
        final EventFd kick = EventFd.create();
        final EventFd call = EventFd.create();
        final SplitDriverQueue driver;

        Served(EchoDevice device, Path socket, VhostUserBackend.Options options, int size, long features) throws Exception {
            backend = VhostUserBackend.serve(device, socket, options);
            guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 8 << 20)));
            frontend = VhostUserFrontend.connect(backend.socketPath());
            driver = OneSplitRing.start(frontend, guest, GUEST_BASE, size, features, kick, call);
        }

        @Override
        public void close() {
            frontend.close();
            guest.close();
            backend.close();
            kick.close();
            call.close();
        }
    }

    private static void post(SplitDriverQueue driver, long at) {
        driver.post(List.of(new Segment(at, 8)), List.of(new Segment(at + 0x1000, 8)), false);
    }

    private static List<DriverQueue.Used> awaitUsed(SplitDriverQueue driver, int n) {
        List<DriverQueue.Used> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .until(() -> {
                    got.addAll(driver.reap());
                    return got.size() >= n;
                });
        return got;
    }
}
