package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.observe.BackendObserver;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Chain;
import dev.pvkit.sdk.virtqueue.QueueObserver;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A kick on a ring's eventfd reaches the queue's observer as {@code kickReceived}, once per wake-up, before the
 * ring is processed. (A device that is still busy with a ring may read new chains before it drains the kick that
 * announced them: that order is the device's own, so the chain here is posted while the ring is idle.)
 */
class KickObservationTest {
    static final long GUEST_BASE = 0x100000;

    @TempDir
    Path dir;

    @Test
    void eachWakeUpOfTheKickEventfdIsOneObservedKickAndAKickPrecedesTheChainItAnnounced() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        QueueObserver queueSteps = new QueueObserver() {
            @Override
            public void kickReceived(int queue) {
                seen.add("kick " + queue);
            }

            @Override
            public void chainRead(int queue, Chain chain) {
                seen.add("chain " + queue);
            }
        };
        BackendObserver observer = new BackendObserver() {
            @Override
            public QueueObserver queueObserver(int queue) {
                return queueSteps;
            }
        };
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        try (VhostUserBackend backend = VhostUserBackend.serve(new EchoDevice(), dir.resolve("kick.sock"),
                VhostUserBackend.Options.defaults().withObserver(observer));
             OwnedGuestMemory guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 8 << 20)));
             VhostUserFrontend v = VhostUserFrontend.connect(backend.socketPath());
             EventFd kick = EventFd.create(); EventFd call = EventFd.create()) {
            SplitDriverQueue driver = OneSplitRing.start(v, guest, GUEST_BASE, 16, features, kick, call);

            // Kicks with nothing new: each wake-up is one kick, whether or not there was anything to process.
            kick.signal();
            awaitSeen(seen, 1);
            kick.signal();
            awaitSeen(seen, 2);
            assertThat(seen).containsExactly("kick 0", "kick 0");

            // A request posted while the ring is idle (its last turn long over): the kick is observed first.
            Thread.sleep(100);
            long data = GUEST_BASE + 0x100000;
            driver.post(List.of(new Segment(data, 8)), List.of(new Segment(data + 0x1000, 8)), false);
            driver.publish();
            kick.signal();
            awaitSeen(seen, 4);
            assertThat(seen).containsExactly("kick 0", "kick 0", "kick 0", "chain 0");
        }
    }

    private static void awaitSeen(List<String> seen, int events) {
        await().atMost(Duration.ofSeconds(10)).pollInSameThread().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .untilAsserted(() -> assertThat(seen).as("observed events").hasSize(events));
    }
}
