package dev.pvkit.sdk.vhostuser;

import dev.pvkit.sdk.device.DeviceContext;
import dev.pvkit.sdk.device.Request;
import dev.pvkit.sdk.frontend.VhostUserFrontend;
import dev.pvkit.sdk.memory.GuestMemory;
import dev.pvkit.sdk.memory.OwnedGuestMemory;
import dev.pvkit.sdk.os.EventFd;
import dev.pvkit.sdk.virtio.VirtioFeatures;
import dev.pvkit.sdk.virtqueue.Segment;
import dev.pvkit.sdk.virtqueue.driver.DriverQueue.Used;
import dev.pvkit.sdk.virtqueue.driver.SplitDriverQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The asynchronous device API end to end, through a real vhost-user session and a driver's split ring: a device
 * that keeps the requests it is given ({@link HoldingDevice}) and completes them when and where the test says.
 * Each request's writable byte gets the request's number, so a completion can be matched with what the driver
 * reaps.
 */
class AsyncCompletionTest {
    static final long GUEST_BASE = 0x100000;
    static final long DATA = GUEST_BASE + 0x100000;
    static final int QUEUE_SIZE = 16;

    @TempDir
    Path dir;

    private HoldingDevice device;
    private VhostUserBackend backend;
    private OwnedGuestMemory guest;
    private VhostUserFrontend frontend;
    private EventFd kick;
    private EventFd call;
    private SplitDriverQueue driver;
    private final ScheduledExecutorService elsewhere = Executors.newSingleThreadScheduledExecutor();

    /** Keeps every request it is given; completes nothing itself. */
    static class HoldingDevice extends EchoDevice {
        final BlockingQueue<Request> held = new LinkedBlockingQueue<>();
        final List<String> submittedOn = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void submit(Request request) {
            submittedOn.add(Thread.currentThread().getName());
            held.add(request);
        }

        Request next() throws InterruptedException {
            Request r = held.poll(10, TimeUnit.SECONDS);
            assertThat(r).as("a request reached the device").isNotNull();
            return r;
        }
    }

    @BeforeEach
    void serve() throws Exception {
        start(new HoldingDevice(), Duration.ofSeconds(1));
    }

    private void start(HoldingDevice served, Duration drain) throws Exception {
        device = served;
        backend = VhostUserBackend.serve(device, dir.resolve("async-" + System.nanoTime() + ".sock"),
                VhostUserBackend.Options.defaults().withRequestDrain(drain));
        guest = OwnedGuestMemory.memfd(List.of(new OwnedGuestMemory.Placement(GUEST_BASE, 8 << 20)));
        frontend = VhostUserFrontend.connect(backend.socketPath());
        kick = EventFd.create();
        call = EventFd.create();
        long features = VirtioFeatures.bit(VirtioFeatures.VERSION_1);
        driver = OneSplitRing.start(frontend, guest, GUEST_BASE, QUEUE_SIZE, features, kick, call);
    }

    @AfterEach
    void stopElsewhere() {
        elsewhere.shutdownNow();
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[]{frontend, kick, call, guest, backend}) {
            try {
                if (c != null) c.close();
            } catch (Exception ignored) {
                // best effort: the next test starts fresh
            }
        }
    }

    /** Restarts with a device that holds every request until data arrives for it, and a 30 s drain it must not wait for. */
    private void startHoldingEveryRequest() throws Exception {
        stop();
        start(new HoldingDevice() {
            @Override
            public boolean holdsRequests(int queue) {
                return true;
            }
        }, Duration.ofSeconds(30));
    }

    /** Posts {@code n} requests of one readable and one writable byte each; returns their chain ids in order. */
    private List<Integer> post(int n) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long at = DATA + (long) i * 0x1000;
            ids.add(driver.post(List.of(new Segment(at, 1)), List.of(new Segment(at + 0x800, 1)), false));
        }
        driver.publish();
        kick.signal();
        return ids;
    }

    /** Completes {@code r} having written the byte {@code mark} into its one writable segment. */
    private static boolean complete(Request r, int mark) {
        GuestMemory m = r.memory();
        m.writeU8(r.chain().writable().get(0).address(), (byte) mark);
        return r.complete(1);
    }

    private List<Used> reapAtLeast(int n) {
        List<Used> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2))
                .until(() -> {
                    got.addAll(driver.reap());
                    return got.size() >= n;
                });
        return got;
    }

    private byte markOf(int chainIndex) {
        return guest.memory().readU8(DATA + (long) chainIndex * 0x1000 + 0x800);
    }

    @Test
    void aRequestCompletedFromAnotherThreadReachesTheDriverAndSignalsIt() throws Exception {
        post(1);
        Request r = device.next();
        assertThat(device.submittedOn.get(0)).as("submit runs on the ring's worker").contains("worker");
        assertThat(driver.reap()).as("nothing is used before the device completes").isEmpty();
        call.drain();

        elsewhere.submit(() -> complete(r, 0x5a)).get();

        List<Used> used = reapAtLeast(1);
        assertThat(used).extracting(Used::length).containsExactly(1L);
        assertThat(markOf(0)).isEqualTo((byte) 0x5a);
        await().atMost(Duration.ofSeconds(5)).until(() -> call.drain() > 0);
    }

    @Test
    void requestsCompletedInReverseOrderAreUsedInThatOrder() throws Exception {
        List<Integer> ids = post(4);
        List<Request> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) held.add(device.next());
        for (int i = 3; i >= 0; i--) {
            int mark = i;
            elsewhere.submit(() -> complete(held.get(mark), 0x10 + mark)).get();
            // One at a time, so the order the driver sees is the order of completion.
            assertThat(reapAtLeast(1)).extracting(Used::id).containsExactly(ids.get(i));
        }
        for (int i = 0; i < 4; i++) assertThat(markOf(i)).isEqualTo((byte) (0x10 + i));
    }

    @Test
    void aSecondCompletionIsRefusedLoggedAndChangesNothing() throws Exception {
        post(1);
        Request r = device.next();
        try (CapturedStderr err = new CapturedStderr()) {
            assertThat(elsewhere.submit(() -> complete(r, 1)).get()).isTrue();
            assertThat(reapAtLeast(1)).hasSize(1);
            assertThat(elsewhere.submit(() -> r.complete(1)).get()).as("second completion").isFalse();
            await().atMost(Duration.ofSeconds(5)).until(() -> err.text().contains("completed twice"));
        }
        Thread.sleep(50); // deliberate: nothing must appear, so there is nothing to await
        assertThat(driver.reap()).as("no second used entry").isEmpty();
    }

    @Test
    void aStoppingRingWaitsForTheDeviceAndPublishesWhatItCompletes() throws Exception {
        List<Integer> ids = post(2);
        Request first = device.next();
        Request second = device.next();
        elsewhere.schedule(() -> complete(first, 0x21), 150, TimeUnit.MILLISECONDS);
        elsewhere.schedule(() -> complete(second, 0x22), 300, TimeUnit.MILLISECONDS);

        long base = frontend.getVringBase(0); // returns only once the device gave both back

        assertThat(base).isEqualTo(2);
        assertThat(driver.reap()).extracting(Used::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(markOf(0)).isEqualTo((byte) 0x21);
        assertThat(markOf(1)).isEqualTo((byte) 0x22);
    }

    @Test
    void aRequestStillHeldWhenTheDrainEndsIsCancelledAndItsLateCompletionDropped() throws Exception {
        stop();
        start(new HoldingDevice(), Duration.ofMillis(200));
        post(1);
        Request r = device.next();
        try (CapturedStderr err = new CapturedStderr()) {
            frontend.getVringBase(0);
            assertThat(r.isCancelled()).isTrue();
            assertThat(err.text()).contains("1 request(s) the device did not complete within 200 ms", "GET_VRING_BASE");

            assertThat(elsewhere.submit(() -> complete(r, 1)).get()).as("completion after cancellation").isFalse();
            await().atMost(Duration.ofSeconds(5)).until(() -> err.text().contains("completed after its ring stopped"));
        }
        assertThat(driver.reap()).as("a cancelled request never reaches the driver").isEmpty();
    }

    /** A receive-buffer queue (holdsRequests): its ring stops at once, even with a long drain, and says nothing. */
    @Test
    void aQueueTheDeviceHoldsRequestsOnStopsAtOnceAndQuietly() throws Exception {
        startHoldingEveryRequest();
        post(3);
        Request first = device.next();
        Request r = device.next();
        device.next();
        assertThat(complete(first, 7)).isTrue();
        assertThat(reapAtLeast(1)).hasSize(1);
        try (CapturedStderr err = new CapturedStderr()) {
            long t0 = System.nanoTime();
            long base = frontend.getVringBase(0);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no wait for the 30 s drain").isLessThan(Duration.ofSeconds(5));
            assertThat(r.isCancelled()).isTrue();
            assertThat(err.text()).doesNotContain("did not complete");
            assertThat(base).as("the held buffers are given back untaken: a restart offers them again").isEqualTo(1);
        }
        assertThat(driver.reap()).as("nothing is used for them").isEmpty();
    }

    @Test
    void heldRequestsThatAreNotTheLastTakenAreNotGivenBack() throws Exception {
        startHoldingEveryRequest();
        post(2);
        Request held = device.next();
        Request later = device.next();
        assertThat(complete(later, 7)).isTrue(); // completed after one still held: moving back would take it twice
        assertThat(reapAtLeast(1)).hasSize(1);
        assertThat(frontend.getVringBase(0)).isEqualTo(2);
        assertThat(held.isCancelled()).isTrue();
    }

    @Test
    void aDeviceThatThrowsBeforeCompletingHasTheChainReturnedEmpty() throws Exception {
        stop();
        start(new HoldingDevice() {
            @Override
            public void submit(Request request) {
                throw new IllegalStateException("device bug");
            }
        }, Duration.ofSeconds(1));
        try (CapturedStderr err = new CapturedStderr()) {
            post(1);
            assertThat(reapAtLeast(1)).extracting(Used::length).containsExactly(0L);
            await().atMost(Duration.ofSeconds(5)).until(() -> err.text().contains("device failed on chain"));
            assertThat(err.text()).contains("device bug");
        }
    }

    /**
     * A device in the shape of one that waits on I/O: it parks each request, and a thread of its own signals the
     * device's eventfd when "the I/O" is done; the SDK calls the device back on the ring's worker, where it completes.
     */
    static class EventFdDevice extends HoldingDevice {
        final EventFd ready = EventFd.create();
        final List<String> callbackThreads = Collections.synchronizedList(new ArrayList<>());
        volatile DeviceContext.Registration registration;

        @Override
        public void attach(DeviceContext context) {
            super.attach(context);
            registration = context.watch(0, ready.fd(), () -> {
                callbackThreads.add(Thread.currentThread().getName());
                ready.drain();
                Request r;
                while ((r = held.poll()) != null) complete(r, 0x77);
            });
        }
    }

    @Test
    void aDeviceCompletesFromItsOwnEventfdOnTheRingsWorker() throws Exception {
        stop();
        EventFdDevice d = new EventFdDevice();
        start(d, Duration.ofSeconds(1));
        try {
            post(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> d.held.size() == 1);
            assertThat(driver.reap()).isEmpty();
            elsewhere.submit(d.ready::signal).get();

            assertThat(reapAtLeast(1)).extracting(Used::length).containsExactly(1L);
            assertThat(markOf(0)).isEqualTo((byte) 0x77);
            assertThat(d.callbackThreads).isNotEmpty().allSatisfy(t -> assertThat(t).contains("worker"));

            // Closed, the watch calls back no more: a new request stays with the device.
            d.registration.close();
            post(1);
            await().atMost(Duration.ofSeconds(10)).until(() -> d.held.size() == 1);
            int calls = d.callbackThreads.size();
            d.ready.signal();
            Thread.sleep(100); // deliberate: nothing must happen, so there is nothing to await
            assertThat(d.callbackThreads).hasSize(calls);
            assertThat(driver.reap()).isEmpty();
        } finally {
            d.ready.close();
        }
    }

    @Test
    void aDeviceTimerCompletesOnTheRingsWorkerAfterItsDelayAndAClosedOneNever() throws Exception {
        stop();
        List<String> ranOn = Collections.synchronizedList(new ArrayList<>());
        HoldingDevice d = new HoldingDevice() {
            @Override
            public void submit(Request request) {
                long at = System.nanoTime();
                context.schedule(request.queue(), Duration.ofMillis(80), () -> {
                    ranOn.add(Thread.currentThread().getName() + " after " + (System.nanoTime() - at) / 1_000_000 + " ms");
                    complete(request, 0x33);
                });
            }
        };
        start(d, Duration.ofSeconds(1));
        post(1);
        assertThat(reapAtLeast(1)).extracting(Used::length).containsExactly(1L);
        assertThat(markOf(0)).isEqualTo((byte) 0x33);
        assertThat(ranOn).singleElement().satisfies(t -> {
            assertThat(t).contains("worker");
            assertThat(Long.parseLong(t.replaceAll(".* after (\\d+) ms", "$1"))).isGreaterThanOrEqualTo(80);
        });

        DeviceContext.Registration r = d.context.schedule(0, Duration.ofMillis(50), () -> ranOn.add("closed timer ran"));
        r.close();
        Thread.sleep(150); // deliberate: a closed timer must never run, so there is nothing to await
        assertThat(ranOn).hasSize(1);
    }

    @Test
    void aRegistrationForAQueueTheDeviceDoesNotHaveIsRefused() {
        assertThatThrownBy(() -> device.context.watch(EchoDevice.QUEUES, 0, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
    }
}
